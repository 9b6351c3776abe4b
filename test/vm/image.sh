#!/bin/bash
# Builds the base disk image of the VM test for one Debian suite: a fresh Debian from the
# Debian registry (mmdebstrap), with what the README asks of a learner's machine and nothing
# more (no busybox-static, no python3), a user `vagrant` as the Vagrant box has, this machine's
# node and npm, and a oneshot unit that runs test/vm/guest.sh from the project disk at boot.
#   test/vm/image.sh SUITE OUTDIR
# Writes OUTDIR/base.img (raw ext4, the root disk), OUTDIR/vmlinuz, OUTDIR/initrd.img and,
# last, OUTDIR/image.json. Run as root. test/vm/run.ts calls it and caches OUTDIR keyed by a
# hash of the suite, this file (which holds the package list) and the node version.
# (Called by mmdebstrap as `image.sh --customize ROOT` for the in-tree setup.)
set -euo pipefail

# What a learner's fresh Debian has after `apt-get install` of the README's requirements, plus
# what makes it a VM like the Vagrant box (systemd, a kernel, AppArmor, sudo, a user manager).
packages=(
	systemd-sysv linux-image-amd64 initramfs-tools apparmor gcc libc6-dev uidmap iproute2 procps
	util-linux git sudo kmod libcap2-bin dbus dbus-user-session libpam-systemd ca-certificates
	e2fsprogs
)

customize() {
	local root=$1 node npm_dir
	node=$(readlink -f "$(command -v node)")
	npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
	# This machine's node and npm, where Debian's nodejs package would put them.
	install -m 0755 "$node" "$root/usr/bin/node"
	mkdir -p "$root/usr/lib/node_modules"
	cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
	ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
	ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
	# No network in the VM: npm installs from each user's ~/.npm, which guest.sh fills from the
	# cache the host made from the lockfile. npm (prefix /usr) reads its global config from
	# /usr/etc/npmrc; /etc/npmrc too, for an npm that is configured the Debian way.
	mkdir -p "$root/usr/etc"
	printf 'offline=true\nfund=false\naudit=false\nupdate-notifier=false\n' | tee "$root/usr/etc/npmrc" >"$root/etc/npmrc"

	# The Vagrant box's user: uid 1000, password-less sudo, subordinate ids as useradd gives.
	chroot "$root" useradd --create-home --uid 1000 --user-group --shell /bin/bash vagrant
	if ! grep -q '^vagrant:' "$root/etc/subuid" 2>/dev/null; then
		chroot "$root" usermod --add-subuids 100000-165535 --add-subgids 100000-165535 vagrant
	fi
	echo 'vagrant ALL=(ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/vagrant"
	chmod 0440 "$root/etc/sudoers.d/vagrant"
	# Lingering: logind starts vagrant's user manager at boot, as a `vagrant ssh` login would.
	mkdir -p "$root/var/lib/systemd/linger"
	touch "$root/var/lib/systemd/linger/vagrant"

	echo nslab-vm >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tnslab-vm\n' >"$root/etc/hosts"
	# The root disk, the project disk (made per run by run.ts) and the checkout at /vagrant. On a
	# busy host udev can take minutes to label the disk: wait for it (run.ts has the deadline).
	cat >"$root/etc/fstab" <<-'EOF'
		/dev/vda / ext4 rw,errors=remount-ro 0 1
		LABEL=nslab-vm /mnt/nslab-vm ext4 rw,nofail,x-systemd.device-timeout=1h 0 2
		/mnt/nslab-vm/repo /vagrant none bind,nofail,x-systemd.requires-mounts-for=/mnt/nslab-vm 0 0
	EOF
	mkdir -p "$root/mnt/nslab-vm" "$root/vagrant"

	# A getty on a serial port hangs up whoever else writes to it (EIO): ttyS0 is the console
	# (the host logs it), ttyS1 carries the results. Timers that would start work (and mounts,
	# cgroups) in the middle of a test go too, and e2scrub_reap, which took minutes at boot.
	local unit
	for unit in serial-getty@ttyS0.service serial-getty@ttyS1.service apt-daily.timer \
		apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$unit"
	done

	cat >"$root/etc/systemd/system/nslab-vm-test.service" <<-'EOF'
		[Unit]
		Description=nslab VM test (test/vm/guest.sh from the project disk)
		After=multi-user.target user@1000.service systemd-logind.service
		RequiresMountsFor=/mnt/nslab-vm /vagrant
		ConditionPathExists=/mnt/nslab-vm/config.json

		[Service]
		Type=oneshot
		ExecStart=/bin/bash /mnt/nslab-vm/repo/test/vm/guest.sh /mnt/nslab-vm
		ExecStopPost=/bin/sh -c 'sync; systemctl poweroff -f'
		StandardOutput=journal+console
		StandardError=journal+console
		TimeoutStartSec=infinity

		[Install]
		WantedBy=multi-user.target
	EOF
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sf ../nslab-vm-test.service "$root/etc/systemd/system/multi-user.target.wants/nslab-vm-test.service"
}

if [[ ${1:-} == --customize ]]; then
	customize "$2"
	exit 0
fi

if [[ $# -ne 2 ]]; then
	echo "usage: $0 SUITE OUTDIR" >&2
	exit 2
fi
suite=$1
out=$2
mirror=${NSLAB_VM_MIRROR:-http://deb.debian.org/debian}
if [[ $(id -u) -ne 0 ]]; then
	echo "image.sh builds a disk image with mmdebstrap and mkfs.ext4: run it as root" >&2
	exit 1
fi

self=$(readlink -f "${BASH_SOURCE[0]}")
tree=$out/tree
rm -rf "$tree"
mkdir -p "$out"
trap 'rm -rf "$tree"' EXIT
started=$SECONDS

include=$(IFS=,; echo "${packages[*]}")
# unshare mode, as root: no user namespace, but its own mount namespace, so nothing it mounts
# (proc, sys, dev in the tree) is ever seen on the host.
mmdebstrap --mode=unshare --variant=minbase --include="$include" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
	--customize-hook="\"$self\" --customize \"\$1\"" \
	"$suite" "$tree" "deb $mirror $suite main"

kernel=$(printf '%s\n' "$tree"/boot/vmlinuz-* | sort -V | tail -n 1)
kernel=${kernel##*/}
version=${kernel#vmlinuz-}
cp "$tree/boot/$kernel" "$out/vmlinuz"
cp "$tree/boot/initrd.img-$version" "$out/initrd.img"
rm -f "$out/base.img"
mkfs.ext4 -q -L nslab-root -d "$tree" "$out/base.img" 8G
cat >"$out/image.json" <<EOF
{"suite":"$suite","kernel":"$version","node":"$(node --version)","npm":"$(npm --version)","seconds":$((SECONDS - started))}
EOF
echo "image for $suite (kernel $version) in $out, built in $((SECONDS - started)) s"
