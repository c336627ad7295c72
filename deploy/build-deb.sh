#!/usr/bin/env bash
# Builds speckd's Debian package, so that a lab installs and upgrades with apt
# instead of Bazel, a JDK and Node:
#   deploy/build-deb.sh [--out DIR]          # DIR/speckd_VERSION_ARCH.deb
#   sudo apt install ./speckd_VERSION_ARCH.deb
# The package holds speckd and speckctl (/usr/bin), the dashboard
# (/usr/share/speckd/web), the systemd unit, the udev rule for the boards,
# /etc/default/speckd and the docs; installing it creates the `speckd` user
# and group `speck` and starts the service. Its dependencies are the Debian
# libraries the binaries link (found by dpkg-shlibdeps). The version is
# speckd's own plus the commit count, so every newer build upgrades.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.
[ "${1:-}" = --out ] && out="$2"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

deploy/install-deps.sh --package >&2
deploy/build.sh >&2
version="$(sed -n 's/.*kSpeckdVersion\[\] = "\(.*\)";/\1/p' server/version.h)"
if git rev-parse --git-dir >/dev/null 2>&1; then
  version="$version+git$(git rev-list --count HEAD).$(git rev-parse --short=8 HEAD)"
fi
arch="$(dpkg --print-architecture)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/root"

install -D -m 0755 bazel-bin/server/speckd "$root/usr/bin/speckd"
install -D -m 0755 bazel-bin/clients/cli/speckctl "$root/usr/bin/speckctl"
mkdir -p "$root/usr/share/speckd"
cp -r clients/web/dist "$root/usr/share/speckd/web"
chmod -R u=rwX,go=rX "$root/usr/share/speckd"
# The unit as deploy/speckd.service, with the package's paths.
sed -e 's|/usr/local/bin/|/usr/bin/|g' \
    -e 's|/usr/local/share/doc/speckd/|/usr/share/doc/speckd/|g' \
    -e 's|/usr/local/share/speckd/|/usr/share/speckd/|g' \
    -e 's|installed by deploy/install-service.sh|installed by the speckd package|' \
    deploy/speckd.service > "$stage/speckd.service"
install -D -m 0644 "$stage/speckd.service" "$root/lib/systemd/system/speckd.service"
install -D -m 0644 deploy/60-speckd.rules "$root/lib/udev/rules.d/60-speckd.rules"
install -D -m 0644 deploy/debian/default "$root/etc/default/speckd"
mkdir -p "$root/etc/speckd"
doc="$root/usr/share/doc/speckd"
mkdir -p "$doc"
install -m 0644 README.md docs/*.md "$doc/"
printf '%s\n' "speckd, built from $(git rev-parse HEAD 2>/dev/null || echo 'a source tree')." \
  "Its third-party libraries are Debian's packages, listed in Depends." > "$doc/copyright"

mkdir -p "$root/DEBIAN"
install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$root/DEBIAN/"
echo /etc/default/speckd > "$root/DEBIAN/conffiles"
# dpkg-shlibdeps reads a source package's control file: a minimal one.
mkdir -p "$stage/debian"
printf 'Source: speckd\n\nPackage: speckd\nArchitecture: any\n' > "$stage/debian/control"
depends="$(cd "$stage" && dpkg-shlibdeps -O -e root/usr/bin/speckd -e root/usr/bin/speckctl 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')"
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat > "$root/DEBIAN/control" <<CONTROL
Package: speckd
Version: $version
Architecture: $arch
Maintainer: speckd developers <speckd@localhost>
Installed-Size: $size
Depends: $depends, adduser, systemd
Recommends: udev
Section: science
Priority: optional
Description: daemon for SynSense Speck2e devkits, with a simulated devkit
 speckd owns Speck2e devkits (USB, or through samna) and a simulated devkit
 that computes exactly what the chip computes, and serves them over gRPC:
 configuration upload, event writes, streamed spikes, spike counts, DVS
 activity, readout and power, to many clients at once. It serves a browser
 dashboard over grpc-web, records and replays experiments, and runs as a
 systemd service. speckctl is its command-line client.
CONTROL
deb="$out/speckd_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
