#!/usr/bin/env python3
"""Generates speckd's Python gRPC modules from proto/speckd/v1/*.proto.

The protos import each other as "proto/speckd/v1/x.proto" (paths from the
repository root, as the C++ build wants). For Python the modules belong in the
package as speckd.v1.x_pb2, so the protos are copied to a scratch tree as
speckd/v1/x.proto with their import lines pointed there, and compiled from it;
the generated code itself is never touched.

Uses grpc_tools.protoc when importable (pip's grpcio-tools, on a lab
machine), else protoc and grpc_python_plugin from PATH (Debian's
protobuf-compiler and protobuf-compiler-grpc).

    python3 clients/python/gen_protos.py --protos=proto/speckd/v1 --out=OUTDIR
writes OUTDIR/speckd/v1/{__init__,*_pb2,*_pb2_grpc}.py.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

IMPORT = re.compile(r'^import "proto/speckd/v1/([a-z_]+\.proto)";', re.M)


def compile_protos(proto_dir, out_dir):
    protos = sorted(glob.glob(os.path.join(proto_dir, "*.proto")))
    if not protos:
        sys.exit(f"gen_protos: no .proto files in {proto_dir}")
    with tempfile.TemporaryDirectory() as scratch:
        tree = os.path.join(scratch, "speckd", "v1")
        os.makedirs(tree)
        for path in protos:
            with open(path) as f:
                text = IMPORT.sub(r'import "speckd/v1/\1";', f.read())
            with open(os.path.join(tree, os.path.basename(path)), "w") as f:
                f.write(text)
        sources = [os.path.join("speckd", "v1", os.path.basename(p)) for p in protos]
        os.makedirs(out_dir, exist_ok=True)
        args = ["-I", scratch, f"--python_out={out_dir}", f"--grpc_python_out={out_dir}"]
        try:
            from grpc_tools import protoc  # pip: grpcio-tools
            code = protoc.main(["protoc"] + args + [os.path.join(scratch, s) for s in sources])
        except ImportError:
            plugin = shutil.which("grpc_python_plugin")
            compiler = shutil.which("protoc")
            if not plugin or not compiler:
                sys.exit("gen_protos: need grpcio-tools (pip) or protoc and "
                         "grpc_python_plugin (apt-get install protobuf-compiler-grpc)")
            code = subprocess.call([compiler, f"--plugin=protoc-gen-grpc_python={plugin}"]
                                   + args + [os.path.join(scratch, s) for s in sources])
        if code != 0:
            sys.exit(f"gen_protos: protoc failed ({code})")
    with open(os.path.join(out_dir, "speckd", "v1", "__init__.py"), "w") as f:
        f.write('"""speckd.v1: generated from proto/speckd/v1 (gen_protos.py)."""\n')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    compile_protos(args.protos, args.out)


if __name__ == "__main__":
    main()
