#!/usr/bin/env bash
# `pip install clients/python` as a lab user does it, here without the
# internet: a venv that sees Debian's grpcio, protobuf and numpy
# (--system-site-packages), built without isolation so the protos compile
# with Debian's protoc and grpc_python_plugin. The installed package (not
# the checkout) then talks to a real speckd.
set -euo pipefail
root="${TEST_SRCDIR}/speckd"
work="${TEST_TMPDIR}/pip"
rm -rf "$work" && mkdir -p "$work/repo/clients" "$work/repo/proto/speckd"
# A copy: pip builds in the source tree, and the runfiles are read-only.
cp -rL "$root/clients/python" "$work/repo/clients/python"
cp -rL "$root/proto/speckd/v1" "$work/repo/proto/speckd/v1"
rm -rf "$work/repo/clients/python/speckd"  # bazel's generated copy: not for pip
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install -q --no-build-isolation --no-index "$work/repo/clients/python"
cd "$work"
"$work/venv/bin/python" - <<'PY'
import speckd, speckd.v1.device_service_pb2 as d
assert "/venv/" in speckd.__file__, speckd.__file__
print("installed", speckd.__version__, "at", speckd.__file__)
PY
export SPECKD="$root/server/speckd" SPECKD_ROOT="$root" PYTHONPATH="$root/clients/python/tests"
exec "$work/venv/bin/python" -m pytest -q -p no:cacheprovider \
  "$root/clients/python/tests/test_client.py" -k "devices_lists or tutorial"
