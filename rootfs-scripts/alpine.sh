#!/bin/sh
# An Alpine minirootfs (~3 MB download, musl + busybox + apk) for machines with internet: the
# closest thing to a real container image without Docker. The tarball is checked against its
# sha256 before anything is unpacked.
#   rootfs-scripts/alpine.sh DIR
#   NSLAB_ALPINE_VERSION=3.20.3     which release (default below)
#   NSLAB_ALPINE_SHA256=<hex>       pin the checksum instead of fetching the published .sha256
#   NSLAB_ALPINE_MIRROR=https://... another mirror
set -eu

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=skeleton.sh
. "$here/skeleton.sh"

version=${NSLAB_ALPINE_VERSION:-3.20.3}
branch=v$(echo "$version" | cut -d. -f1-2)
mirror=${NSLAB_ALPINE_MIRROR:-https://dl-cdn.alpinelinux.org/alpine}
case $(uname -m) in
x86_64) arch=x86_64 ;;
aarch64 | arm64) arch=aarch64 ;;
armv7l) arch=armv7 ;;
i?86) arch=x86 ;;
*) echo "no Alpine minirootfs for $(uname -m)" >&2; exit 3 ;;
esac
file=alpine-minirootfs-$version-$arch.tar.gz
url=$mirror/$branch/releases/$arch/$file

fetch() {
	if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$2" "$1"
	elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
	else echo "neither curl nor wget is installed" >&2; exit 3
	fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

echo "download $url"
fetch "$url" "$work/$file"
if [ -n "${NSLAB_ALPINE_SHA256:-}" ]; then
	expected=$NSLAB_ALPINE_SHA256
else
	fetch "$url.sha256" "$work/$file.sha256"
	expected=$(cut -d' ' -f1 "$work/$file.sha256")
fi
actual=$(sha256sum "$work/$file" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
	echo "checksum mismatch for $file: expected $expected, got $actual" >&2
	exit 4
fi
echo "sha256 ok: $actual"

mkdir -p "$dir"
# Unprivileged, tar cannot chown to the image's owners; the files become ours, which the user
# namespace maps to root inside anyway.
if [ "$(id -u)" = 0 ]; then tar -xzf "$work/$file" -C "$dir"
else tar -xzf "$work/$file" -C "$dir" --no-same-owner --no-same-permissions
fi
skeleton_dirs "$dir"
skeleton_merge_etc "$dir"
skeleton_dev "$dir"

write_marker "$dir" alpine ",\"alpine\":{\"version\":$(json_str "$version"),\"arch\":$(json_str "$arch"),\"sha256\":$(json_str "$actual")}"
echo "built $dir"
