#!/usr/bin/env bash
# Lets group `speck` (and the desktop user) open SynSense boards: installs
# deploy/60-speckd.rules, creates the group, adds the calling user to it
# (unless --no-user), and re-applies the rules to boards already plugged in.
# deploy/install-service.sh runs it for the service; run it yourself to use
# speckd or samna by hand. Log out and in again for a new group to count.
#   deploy/install-udev-rule.sh
#   deploy/install-udev-rule.sh --no-user
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-udev-rule: need root or sudo" >&2; exit 1; }
  sudo="sudo"
fi
rule=/etc/udev/rules.d/60-speckd.rules

getent group speck >/dev/null || $sudo groupadd --system speck
$sudo install -D -m 0644 deploy/60-speckd.rules "$rule"
if command -v udevadm >/dev/null && [ -d /run/udev ]; then
  $sudo udevadm control --reload-rules
  # Boards already plugged in get the new group and mode now.
  $sudo udevadm trigger --subsystem-match=usb --attr-match=idVendor=337d || true
  $sudo udevadm trigger --subsystem-match=usb --attr-match=idVendor=04b4 || true
  $sudo udevadm trigger --subsystem-match=usb --attr-match=idVendor=152a || true
else
  echo "install-udev-rule: udev is not running here; the rule applies once it does" >&2
fi
echo "install-udev-rule: installed $rule (group speck, mode 0660, uaccess)"

user="${SUDO_USER:-$(id -un)}"
if [ "${1:-}" != "--no-user" ] && [ "$user" != "root" ]; then
  if id -nG "$user" | tr ' ' '\n' | grep -qx speck; then
    echo "install-udev-rule: $user is already in group speck"
  else
    $sudo usermod -aG speck "$user"
    echo "install-udev-rule: added $user to group speck: log out and in again (or run: newgrp speck)"
  fi
fi
