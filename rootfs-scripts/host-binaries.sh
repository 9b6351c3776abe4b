#!/bin/sh
# nslab's default rootfs: copy the host's own programs and every shared library they load (as
# ldd lists them) plus the dynamic loader, so nslab works on any Linux with nothing extra
# installed, and a lesson runs the same unshare, setpriv, ps and ip the learner types on the
# host. Bigger than busybox (~10-20 MB) but the same layout.
#   rootfs-scripts/host-binaries.sh DIR   (NSLAB_EXTRA_BINARIES="strace tree" adds more;
#   NSLAB_STEPS=1 adds a "step N/TOTAL NAME" line per program)
set -eu

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=skeleton.sh
. "$here/skeleton.sh"

# Without these a lesson's shell is useless: fail rather than build a rootfs that can't boot.
required="sh ls cat echo mount"
# What the lessons' shells use; each is copied when the host has it.
wanted="bash dash sleep id ps umount grep hostname kill ping env true false test mkdir rmdir rm
cp mv ln touch chmod chown stat readlink pwd head tail wc sort uniq tr cut sed awk find
uname whoami date dd df du tee printf basename dirname sync which more less nproc
unshare nsenter setpriv capsh getpcaps setcap getcap pivot_root chroot mountpoint findmnt lsns
ip ss su pgrep pkill xargs seq timeout yes mkfifo ${NSLAB_EXTRA_BINARIES:-}"

# A real file on disk, not a shell builtin: search the usual directories, not $PATH, so that
# the result does not depend on the caller's environment.
find_binary() {
	for d in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
		if [ -f "$d/$1" ] && [ -x "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

# Copy a host file to the same absolute path inside the rootfs, following symlinks so the
# rootfs never points back into the host.
copy_to_same_path() {
	if [ ! -e "$dir$1" ]; then
		mkdir -p "$dir$(dirname "$1")"
		cp -L "$1" "$dir$1"
	fi
}

# ldd prints "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" for libraries and
# "/lib64/ld-linux-x86-64.so.2 (0x...)" for the loader; linux-vdso has no file.
copy_libraries() {
	ldd "$1" 2>/dev/null | while read -r first second third _; do
		if [ "$second" = "=>" ]; then
			case $third in /*) copy_to_same_path "$third" ;; esac
		else
			case $first in /*) copy_to_same_path "$first" ;; esac
		fi
	done
}

mkdir -p "$dir"
skeleton "$dir"

copied=""
programs=0
missing=""
# NSLAB_STEPS=1 (set by nslab): one "step N/TOTAL NAME" line per program, for nslab's updating
# progress line; nslab shows the other lines as the build's summary.
steps=${NSLAB_STEPS:-}
# shellcheck disable=SC2086 # split into words on purpose: the count of programs
total=$(echo $required $wanted | wc -w)
step=0
for name in $required $wanted; do
	step=$((step + 1))
	if [ -n "$steps" ]; then echo "step $step/$total $name"; fi
	if ! src=$(find_binary "$name"); then
		case " $required " in
		*" $name "*)
			echo "the host has no $name binary; cannot build a usable rootfs" >&2
			exit 3
			;;
		esac
		missing="$missing $name"
		continue
	fi
	cp -L "$src" "$dir/bin/$name"
	chmod 0755 "$dir/bin/$name"
	copy_libraries "$src"
	programs=$((programs + 1))
	copied="$copied,$(json_str "$src")"
done
if [ -n "$missing" ]; then echo "not on this host (skipped):$missing"; fi

# The loader itself, even if ldd listed it under another name (the PT_INTERP path is what the
# kernel opens).
for loader in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1 /lib/ld-linux-armhf.so.3 /lib/ld-linux.so.2; do
	if [ -e "$loader" ]; then copy_to_same_path "$loader"; fi
done
# Scripts start with #!/usr/bin/env or #!/bin/bash; keep both working.
ln -sfn ../../bin/env "$dir/usr/bin/env"

# One line for the learner, not one per file (the marker lists the programs).
libraries=$(find "$dir" -type f -name '*.so*' 2>/dev/null | wc -l)
kb=$(du -sk "$dir" 2>/dev/null | cut -f1)
mib=$(((${kb:-0} + 512) / 1024))
echo "copied $programs programs and $((${libraries:-0})) libraries from this machine ($mib MiB)"

write_marker "$dir" host ",\"binaries\":[${copied#,}]"
echo "built $dir"
