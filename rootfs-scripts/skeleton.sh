# shellcheck shell=sh
# The directory skeleton every nslab rootfs shares, whatever fills bin/. Sourced by the
# builder scripts; each function takes the rootfs directory as its first argument.

# Directories the lessons and the sandbox rely on. proc and tmp must exist before the sandbox
# starts: an unprivileged sandbox cannot create them in a rootfs owned by real root. oldroot is
# the put_old of the pivot_root lesson.
skeleton_dirs() {
	for d in bin sbin usr/bin usr/sbin proc sys dev tmp etc root home/learner oldroot; do
		mkdir -p "$1/$d"
	done
	chmod 1777 "$1/tmp"
	chmod 0700 "$1/root"
	# uid 1000 exists inside only when the user namespace maps a range (a root caller); an
	# unprivileged caller maps one id and cannot chown anyway.
	if [ "$(id -u)" = 0 ]; then chown 1000:1000 "$1/home/learner"; fi
}

# Users for the setuid lesson: root, an unprivileged learner, and nobody for unmapped ids.
skeleton_etc() {
	cat >"$1/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
learner:x:1000:1000:nslab learner:/home/learner:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
	cat >"$1/etc/group" <<'GROUP'
root:x:0:
learner:x:1000:
nogroup:x:65534:
GROUP
	printf 'nslab\n' >"$1/etc/hostname"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$1/etc/hosts"
	# glibc tools (the host-binaries rootfs) look users up through NSS.
	printf 'passwd: files\ngroup: files\nhosts: files\n' >"$1/etc/nsswitch.conf"
	cat >"$1/etc/profile" <<'PROFILE'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PS1='nslab:\w\$ '
PROFILE
}

# Empty regular files the sandbox bind-mounts the host's devices onto: an unprivileged
# sandbox cannot mknod, but it may bind a device node over an existing file.
skeleton_dev() {
	for n in null zero random urandom tty; do
		: >"$1/dev/$n"
		chmod 0666 "$1/dev/$n"
	done
}

# For a rootfs that came with its own /etc (Alpine, a docker image): keep its users, add ours.
skeleton_merge_etc() {
	touch "$1/etc/passwd" "$1/etc/group"
	grep -q '^learner:' "$1/etc/passwd" ||
		echo 'learner:x:1000:1000:nslab learner:/home/learner:/bin/sh' >>"$1/etc/passwd"
	grep -q '^learner:' "$1/etc/group" || echo 'learner:x:1000:' >>"$1/etc/group"
}

skeleton() {
	skeleton_dirs "$1"
	skeleton_etc "$1"
	skeleton_dev "$1"
}

# JSON string escaping for the marker: backslash and double quote are all our values can hold.
json_str() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

# The marker nslab reads to call a rootfs ready. Written last, so a build that dies midway
# leaves a marker-less directory that nslab reports as incomplete. $2 is the builder kind, $3
# extra JSON members (already formatted, starting with a comma, or empty). generation: which
# nslab's set of programs the builders copy; a rootfs of an older generation is rebuilt on
# first need (src/rootfs/ensure.ts ROOTFS_GENERATION).
write_marker() {
	printf '{"format":1,"generation":2,"kind":%s,"builtAt":%s,"builder":%s%s}\n' \
		"$(json_str "$2")" "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$(json_str "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")")" "$3" \
		>"$1/.nslab-rootfs.json.tmp"
	mv "$1/.nslab-rootfs.json.tmp" "$1/.nslab-rootfs.json"
}
