#!/usr/bin/env bash
# The Python client's tests (pytest) against the built speckd, with Debian's
# python3 and its grpcio, protobuf, numpy and pytest.
set -euo pipefail
root="${TEST_SRCDIR}/speckd"
export SPECKD="$root/server/speckd" SPECKD_ROOT="$root"
export PYTHONPATH="$root/clients/python:$root/clients/python/tests"
# sinabs, nir and nirtorch: an installed copy first, else ../shared's.
if [ -d "${TEST_SRCDIR}/speck_python/sinabs" ]; then
  export SPECKD_THIRD_PARTY="${TEST_SRCDIR}/speck_python" PBR_VERSION=3.1.3
fi
cd "$root/clients/python/tests"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" .
