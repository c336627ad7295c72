#!/usr/bin/env bash
# What deploy/ installs, checked without installing it: the systemd unit
# passes systemd-analyze verify (with the built speckd in place of
# /usr/local/bin/speckd), the udev rule gives group speck 0660 and uaccess for
# the ids speckd knows and nothing world-writable, the unit runs with that
# group, and the install scripts parse.
set -euo pipefail
cd "${TEST_SRCDIR}/speckd"
fail() { echo "FAIL: $*" >&2; exit 1; }

unit=deploy/speckd.service
rule=deploy/60-speckd.rules

# 1. The unit.
if command -v systemd-analyze >/dev/null; then
  tmp="${TEST_TMPDIR}/speckd.service"
  sed "s|/usr/local/bin/speckd|$PWD/server/speckd|" "$unit" > "$tmp"
  out=$(systemd-analyze verify "$tmp" 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify says: $out"
  echo "ok: systemd-analyze verify $unit"
else
  echo "SKIPPED: systemd-analyze is not installed (package systemd); the unit was not verified"
fi

# 2. The rule: one line per id, group speck, 0660, uaccess, never 0666.
rules=$(grep -v '^#' "$rule" | grep -v '^$')
[ -n "$rules" ] || fail "$rule has no rules"
while IFS= read -r line; do
  for want in 'GROUP="speck"' 'MODE="0660"' 'TAG+="uaccess"' 'SUBSYSTEM=="usb"'; do
    case "$line" in *"$want"*) ;; *) fail "$rule: a rule without $want: $line" ;; esac
  done
done <<< "$rules"
grep -q "0666" <<< "$rules" && fail "$rule makes boards world-writable"
grep -q 'ATTR{idVendor}=="337d"' <<< "$rules" || fail "$rule does not cover SynSense (337d)"
grep -q 'ATTR{idVendor}=="04b4", ATTR{idProduct}=="00f3"' <<< "$rules" ||
  fail "$rule does not cover the FX3 boot loader (04b4:00f3)"
grep -q 'ATTR{idVendor}=="04b4", GROUP' <<< "$rules" &&
  fail "$rule covers every Cypress device, not just the FX3 boot loader"
echo "ok: $rule"

# 3. The unit runs with the rule's group.
grep -qx 'SupplementaryGroups=speck' "$unit" || fail "$unit does not run with group speck"
grep -qx 'DeviceAllow=char-usb_device rw' "$unit" || fail "$unit does not allow usbfs nodes"
grep -q 'AF_NETLINK' "$unit" || fail "$unit blocks netlink (hotplug)"
echo "ok: $unit runs with group speck, usbfs and netlink"

# 4. The scripts parse.
for script in deploy/*.sh; do bash -n "$script" || fail "$script does not parse"; done
echo "ok: deploy/*.sh parse"
