#!/bin/sh
# Make a Debian 12 machine ready for nslab: Node (current LTS when the system has none or an
# old one), a C compiler and libc headers for nslab's native programs, the standard tools the
# lessons run (a minimal image may lack them); then install nslab, build the rootfs and run
# `nslab doctor`.
# Idempotent: on a machine that already has everything it installs nothing. Run as root.
#   rootfs-scripts/provision.sh [--user USER] [--repo DIR]
# USER (default: $SUDO_USER, else root) owns the install and the rootfs cache; DIR defaults to
# the checkout this script belongs to. Vagrant runs it as: --user vagrant --repo /vagrant.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
user=${SUDO_USER:-root}
node_major=${NSLAB_NODE_MAJOR:-24}

while [ $# -gt 0 ]; do
	case $1 in
	--user) user=$2; shift 2 ;;
	--repo) repo=$2; shift 2 ;;
	*) echo "usage: $0 [--user USER] [--repo DIR]" >&2; exit 2 ;;
	esac
done

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "provision.sh installs system packages: run it as root (sudo $0 ...)" >&2
	exit 1
fi
if ! home=$(getent passwd "$user" | cut -d: -f6) || [ -z "$home" ]; then
	echo "no such user: $user" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

apt_updated=""
apt_install() {
	if [ -z "$apt_updated" ]; then
		apt-get update -q
		apt_updated=1
	fi
	apt-get install -y -q --no-install-recommends "$@"
}

# Only the packages that are missing, so a second run (and CI, which installed them already)
# never touches apt.
missing=""
for pkg in gcc libc6-dev libcap2-bin iproute2 util-linux procps git ca-certificates; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	# shellcheck disable=SC2086 # one word per package
	apt_install $missing
else
	say "system packages already installed"
fi

# docker.io, so that lesson 08's optional experiment has a real container runtime to debug. Its
# daemon is a systemd service: where systemd does not run (a CI container), it is left out.
if dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q 'install ok installed'; then
	say "docker.io already installed"
elif [ -d /run/systemd/system ]; then
	say "installing docker.io"
	apt_install docker.io
else
	say "no systemd here to run dockerd: docker.io not installed"
fi

node_ok() {
	command -v node >/dev/null 2>&1 || return 1
	major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
	[ "$major" -ge 20 ] && command -v npm >/dev/null 2>&1
}
if node_ok; then
	say "node $(node --version) is recent enough"
else
	# Debian 12 ships Node 18; nslab needs >= 20. NodeSource's signed apt repository.
	say "installing Node.js $node_major.x from deb.nodesource.com"
	apt_install curl gnupg
	mkdir -p /etc/apt/keyrings
	curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key |
		gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
	echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$node_major.x nodistro main" \
		>/etc/apt/sources.list.d/nodesource.list
	apt_updated=""
	apt_install nodejs
	node_ok || { echo "Node.js installation failed" >&2; exit 1; }
	say "node $(node --version)"
fi

# Everything below runs as the user, who owns node_modules and whose cache holds the rootfs.
as_user() {
	if [ "$user" = root ]; then
		(cd "$repo" && HOME=$home "$@")
	else
		# A clean environment: root's XDG_* or npm settings must not leak into the user's.
		# shellcheck disable=SC2016 # expanded by the inner shell
		runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$PATH" \
			TERM="${TERM:-dumb}" sh -c 'cd "$1" && shift && exec "$@"' sh "$repo" "$@"
	fi
}

if ! as_user test -w .; then
	echo "$user cannot write $repo (npm install writes node_modules there): chown -R $user $repo, or pass --user" >&2
	exit 1
fi
say "npm install in $repo (as $user)"
as_user npm install --no-audit --no-fund
# A ready rootfs is left alone: rebuilding would pull files from under a running lesson.
# shellcheck disable=SC2016 # JavaScript, not shell
if as_user node -e 'import("./dist/src/rootfs/index.js").then((m) => process.exit(m.rootfsStatus().state === "ready" ? 0 : 1))' 2>/dev/null; then
	say "the rootfs is ready (nslab rootfs info; nslab rootfs build rebuilds it)"
else
	say "building the rootfs (as $user)"
	as_user npx --no-install nslab rootfs build
fi
say "nslab doctor"
as_user npx --no-install nslab doctor
say "done: run \`cd $repo && npx nslab\`"
