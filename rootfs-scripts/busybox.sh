#!/bin/sh
# Build nslab's default rootfs from the distro's static busybox (Debian/Ubuntu: busybox-static):
# about 2 MB, no network, nothing but one binary and its applet links.
#   rootfs-scripts/busybox.sh DIR        (NSLAB_BUSYBOX=/path/to/busybox to choose the binary)
set -eu

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=skeleton.sh
. "$here/skeleton.sh"

# A dynamic busybox would need the host's libc inside the rootfs; only a static one stands alone.
is_static() {
	if command -v file >/dev/null 2>&1; then
		file -L "$1" | grep -Eq 'statically linked|static-pie linked'
	else
		# glibc's ldd exits non-zero with "not a dynamic executable" for a static binary.
		if ldd "$1" >/dev/null 2>&1; then return 1; fi
		return 0
	fi
}

find_busybox() {
	for c in ${NSLAB_BUSYBOX:-} /bin/busybox /usr/bin/busybox /sbin/busybox /usr/sbin/busybox; do
		if [ -x "$c" ] && is_static "$c"; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

if ! bb=$(find_busybox); then
	echo "no static busybox found (install busybox-static, or set NSLAB_BUSYBOX)" >&2
	exit 3
fi
version=$("$bb" 2>&1 | head -n 1 | sed 's/ multi-call binary\.*$//' || true)
echo "busybox: $bb ($version)"

mkdir -p "$dir"
skeleton "$dir"
cp "$bb" "$dir/bin/busybox"
chmod 0755 "$dir/bin/busybox"

# One relative link per applet where busybox says it lives, so the rootfs can be moved or
# bind-mounted anywhere (an absolute link would point at the host's /bin/busybox).
count=0
for applet in $("$dir/bin/busybox" --list-full); do
	case $applet in
	bin/busybox) continue ;;
	*/*) ;;
	*) continue ;; # linuxrc: an initrd entry point, not a command
	esac
	case ${applet%/*} in
	bin) target=busybox ;;
	sbin) target=../bin/busybox ;;
	usr/bin | usr/sbin) target=../../bin/busybox ;;
	*) continue ;; # no other directories in busybox's layout
	esac
	ln -sfn "$target" "$dir/$applet"
	count=$((count + 1))
done
echo "linked $count applets"

write_marker "$dir" busybox ",\"busybox\":{\"path\":$(json_str "$bb"),\"version\":$(json_str "$version")}"
echo "built $dir"
