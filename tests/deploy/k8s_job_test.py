#!/usr/bin/env python3
"""deploy/k8s/simulate-job.yaml checked without a cluster: it is an Indexed
Job whose shard count matches its completions, and its container command,
run here once per index with JOB_COMPLETION_INDEX set (as Kubernetes sets
it) against a small dataset in place of the volume, writes shards that
`speckctl simulate merge` joins into every sample exactly once. What is not
checked: the image build and a real cluster (none here)."""
import os
import shutil
import subprocess
import sys

import yaml

RUNFILES = os.environ.get("TEST_SRCDIR", "..")
WORKSPACE = os.path.join(RUNFILES, "speckd")


def main():
    with open(os.path.join(WORKSPACE, "deploy/k8s/simulate-job.yaml")) as f:
        job = yaml.safe_load(f)
    assert job["kind"] == "Job", job["kind"]
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    shards = spec["completions"]
    assert spec["parallelism"] == shards
    container = spec["template"]["spec"]["containers"][0]
    command = " ".join(container["args"])
    assert f"--shard=${{JOB_COMPLETION_INDEX}}/{shards}" in command, command

    data = os.path.join(os.environ.get("TEST_TMPDIR", "/tmp"), "data")
    shutil.rmtree(data, ignore_errors=True)
    for cls, rows in (("top", range(0, 8)), ("bottom", range(8, 16))):
        os.makedirs(os.path.join(data, "test", cls))
        for k in range(5):
            with open(os.path.join(data, "test", cls, f"s{k}.csv"), "w") as f:
                f.write("timestamp_us,x,y,p\n")
                for i in range(50 + k):
                    f.write(f"{200 * i},{(7 * i) % 16},{rows[i % 8]},1\n")
    shutil.copy(os.path.join(WORKSPACE, "examples/tutorial/config.json"),
                os.path.join(data, "net.json"))

    speckctl = os.path.join(WORKSPACE, "clients/cli/speckctl")
    path = os.path.dirname(os.path.abspath(speckctl)) + ":" + os.environ["PATH"]
    local = command.replace("/data", data)
    for index in range(shards):
        env = dict(os.environ, JOB_COMPLETION_INDEX=str(index), PATH=path)
        run = subprocess.run(["/bin/sh", "-c", local], env=env,
                             capture_output=True, text=True)
        assert run.returncode == 0, (index, run.stderr)
    outputs = sorted(os.path.join(data, "out", f) for f in os.listdir(os.path.join(data, "out")))
    assert len(outputs) == shards, outputs
    merged = os.path.join(data, "results.csv")
    run = subprocess.run([speckctl, "simulate", "merge", *outputs, merged],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = open(merged).read().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == [str(i) for i in range(10)], rows
    assert "10 samples, 0 failed" in run.stdout, run.stdout
    print(f"ok: {shards} shards of 10 samples merged")


if __name__ == "__main__":
    main()
