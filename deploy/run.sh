#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what it needs, builds
# speckd and its dashboard, and runs the daemon with the simulated devkit.
# Prints where gRPC and the dashboard listen.
#   deploy/run.sh                          # gRPC 127.0.0.1:50051, dashboard 127.0.0.1:8080
#   deploy/run.sh --insecure_remote --listen=0.0.0.0:50051   # any speckd flag passes through
set -euo pipefail
cd "$(dirname "$0")/.."

# A daemon already on these ports: say so before rebuilding anything under it.
listen=127.0.0.1:50051 web_listen=127.0.0.1:8080
for arg in "$@"; do
  case "$arg" in
    --listen=*) listen=${arg#--listen=} ;;
    --web_listen=*) web_listen=${arg#--web_listen=} ;;
  esac
done
for address in "$listen" "$web_listen"; do
  [ -n "$address" ] || continue
  host=${address%:*} port=${address##*:}
  [ "$port" != 0 ] || continue
  case "$host" in ""|0.0.0.0|"[::]") host=127.0.0.1 ;; esac
  if (exec 3<>"/dev/tcp/${host//[\[\]]/}/$port") 2>/dev/null; then
    owner=$(ss -Hltnp "sport = :$port" 2>/dev/null |
      sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -1)
    echo "deploy/run.sh: $address is in use${owner:+ by $owner} — is speckd already running?" \
      "Stop it first, or pass --listen=HOST:PORT --web_listen=HOST:PORT." >&2
    exit 1
  fi
done

deploy/install-deps.sh
deploy/build.sh
exec bazel-bin/server/speckd --web_root="$PWD/clients/web/dist" "$@"
