#!/usr/bin/env bash
# Installs speckd as a systemd service on this lab machine: builds speckd,
# speckctl and the dashboard as the calling user, then (with sudo when not
# root) installs them under /usr/local, creates the `speckd` system user and
# enables deploy/speckd.service. Rerun to upgrade; --uninstall removes it all
# but /etc/default/speckd.
#   deploy/install-service.sh
#   deploy/install-service.sh --uninstall
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-service: need root or sudo" >&2; exit 1; }
  sudo="sudo"
fi
bin=/usr/local/bin
share=/usr/local/share/speckd
doc=/usr/local/share/doc/speckd
unit=/etc/systemd/system/speckd.service

if [ "${1:-}" = "--uninstall" ]; then
  $sudo systemctl disable --now speckd 2>/dev/null || true
  $sudo rm -rf "$unit" "$bin/speckd" "$bin/speckctl" "$share" "$doc" \
    /etc/udev/rules.d/60-speckd.rules
  $sudo systemctl daemon-reload
  echo "install-service: removed speckd and its udev rule (kept /etc/default/speckd, the speckd user and group speck)"
  exit 0
fi

deploy/install-deps.sh
deploy/build.sh

id speckd >/dev/null 2>&1 ||
  $sudo useradd --system --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin --user-group speckd
# USB boards: group speck may open them (the unit runs with it).
deploy/install-udev-rule.sh --no-user
id -nG speckd | tr ' ' '\n' | grep -qx speck || $sudo usermod -aG speck speckd
$sudo install -D -m 0755 bazel-bin/server/speckd "$bin/speckd"
$sudo install -D -m 0755 bazel-bin/clients/cli/speckctl "$bin/speckctl"
$sudo rm -rf "$share/web"
$sudo mkdir -p "$share" "$doc"
$sudo cp -r clients/web/dist "$share/web"
$sudo install -m 0644 docs/daemon.md docs/formats.md docs/chip-model.md docs/hardware.md "$doc/"
$sudo install -D -m 0644 deploy/speckd.service "$unit"
[ -e /etc/default/speckd ] ||
  $sudo install -m 0644 deploy/debian/default /etc/default/speckd
$sudo systemctl daemon-reload
$sudo systemctl enable speckd
$sudo systemctl restart speckd

# Wait (bounded) for the daemon to answer before saying it is up.
for _ in $(seq 50); do
  if "$bin/speckctl" devices >/dev/null 2>&1; then
    echo "install-service: speckd is running (systemctl status speckd; journalctl -u speckd)"
    "$bin/speckctl" devices
    exit 0
  fi
  sleep 0.2
done
echo "install-service: speckd did not answer; see: journalctl -u speckd -n 50" >&2
exit 1
