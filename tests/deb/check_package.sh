#!/usr/bin/env bash
# Builds speckd's Debian package (deploy/build-deb.sh) and checks it the way
# dpkg, apt and systemd will see it, without installing it: a test suite must
# not replace the speckd service a lab may run on this machine. Checked: the
# metadata and the dependencies dpkg-shlibdeps found; every file, with its
# owner and mode; the conffile and the maintainer scripts' syntax; that apt
# resolves the package's dependencies here (--simulate); and, unpacked, that
# speckd and speckctl run, speckd serves the packaged dashboard and answers
# the packaged speckctl, and systemd accepts the packaged unit.
set -euo pipefail
cd "$(dirname "$0")/../.."
# (Checks grep here-strings, not pipes: `producer | grep -q` fails under
# pipefail when grep stops reading early and the producer gets SIGPIPE.)

work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "check_package: $*" >&2; exit 1; }

deb="$(deploy/build-deb.sh --out "$work")"
[ -f "$deb" ] || fail "build-deb.sh printed '$deb', not a file"

# Metadata.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = speckd ] || fail "Package: $(field Package)"
release="$(sed -n 's/.*kSpeckdVersion\[\] = "\(.*\)";/\1/p' server/version.h)"
case "$(field Version)" in "$release"*) ;; *) fail "Version $(field Version) is not speckd's $release";; esac
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture: $(field Architecture)"
for dep in libgrpc++1.51 libprotobuf32 libusb-1.0-0 libevent-openssl-2.1-7 libssl3 libsystemd0 adduser systemd; do
  grep -q "\b$dep\b" <<< "$(field Depends)" || fail "Depends lacks $dep: $(field Depends)"
done

# Files: type, mode, owner.
contents="$(dpkg-deb -c "$deb")"
expect() {
  grep -qxF -- "$1 root/root ./$2" <<< "$(awk '{print $1, $2, $6}' <<< "$contents")" ||
    fail "no $2 with mode $1 owned by root"
}
expect -rwxr-xr-x usr/bin/speckd
expect -rwxr-xr-x usr/bin/speckctl
expect -rw-r--r-- usr/share/speckd/web/index.html
expect -rw-r--r-- lib/systemd/system/speckd.service
expect -rw-r--r-- lib/udev/rules.d/60-speckd.rules
expect -rw-r--r-- etc/default/speckd
expect drwxr-xr-x etc/speckd/
expect -rw-r--r-- usr/share/doc/speckd/daemon.md
expect -rw-r--r-- usr/share/doc/speckd/copyright
grep -q "usr/share/speckd/web/assets/.*\.js$" <<< "$contents" || fail "the dashboard's scripts are missing"

dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/default/speckd "$work/control/conffiles" || fail "/etc/default/speckd is not a conffile"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || fail "$script is not executable"
  sh -n "$work/control/$script" || fail "$script: syntax error"
done
grep -q "adduser --system" "$work/control/postinst" || fail "postinst creates no speckd user"

# apt would install it here: every dependency resolves.
apt-get install --simulate "$deb" > "$work/apt.txt" 2>&1 || fail "apt: $(cat "$work/apt.txt")"
grep -q "^Inst speckd " "$work/apt.txt" || fail "apt would not install speckd: $(cat "$work/apt.txt")"

# Unpacked where it would be installed (under $work/root).
root="$work/root"
dpkg-deb -x "$deb" "$root"
grep -q "$release" <<< "$("$root/usr/bin/speckd" --version)" || fail "speckd --version"
# (speckctl version also asks a daemon, which is not running yet: it says
# its own version, then fails.)
client_version="$("$root/usr/bin/speckctl" version 2>/dev/null || true)"
grep -q "$release" <<< "$client_version" || fail "speckctl version: $client_version"
sed -e "s|/usr/bin/speckd|$root/usr/bin/speckd|" "$root/lib/systemd/system/speckd.service" \
  > "$work/speckd.service"
grep -q -- "--web_root=$root/usr/share/speckd/web" "$work/speckd.service" ||
  sed -i "s|--web_root=/usr/share/speckd/web|--web_root=$root/usr/share/speckd/web|" "$work/speckd.service"
systemd-analyze verify "$work/speckd.service" || fail "systemd-analyze rejects the unit"

"$root/usr/bin/speckd" --listen=127.0.0.1:0 --web_listen=127.0.0.1:0 \
  --web_root="$root/usr/share/speckd/web" > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 150); do
  grep -q "dashboard at" "$work/out" && break
  kill -0 "$pid" 2>/dev/null || fail "speckd exited: $(cat "$work/err")"
  sleep 0.1
done
url="$(sed -n 's/^speckd dashboard at \(http:[^ ]*\).*/\1/p' "$work/out")"
grpc="$(sed -n 's/^speckd listening on \([^ ]*\) (gRPC)$/\1/p' "$work/out")"
[ -n "$url" ] && [ -n "$grpc" ] || fail "speckd did not say where it listens: $(cat "$work/out" "$work/err")"
page="$(curl -sS -f "$url" 2>&1 || true)"
grep -q "<title>speckd" <<< "$page" || fail "the packaged dashboard is not served at $url: $page"
devices="$("$root/usr/bin/speckctl" --server="$grpc" devices || true)"
grep -q "speck2edevkit-sim:0" <<< "$devices" ||
  fail "the packaged speckctl does not list the simulated devkit: $devices"
echo "check_package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB, $(grep -c '^-' <<< "$contents") files) is sound"
