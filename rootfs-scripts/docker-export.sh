#!/bin/sh
# The classic way to get a container's root filesystem without a registry client: let Docker
# pull an image, create (not start) a container from it and export its filesystem as a tar.
#   rootfs-scripts/docker-export.sh DIR [IMAGE]     (IMAGE defaults to busybox:latest)
set -eu

usage() { echo "usage: $0 DIR [IMAGE]" >&2; exit 2; }
case $# in 1 | 2) ;; *) usage ;; esac
dir=$1
image=${2:-busybox:latest}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=skeleton.sh
. "$here/skeleton.sh"

command -v docker >/dev/null 2>&1 || { echo "docker is not installed" >&2; exit 3; }

echo "docker create $image"
cid=$(docker create "$image" /bin/true)
trap 'docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT INT TERM

mkdir -p "$dir"
echo "docker export $cid | tar -x -C $dir"
if [ "$(id -u)" = 0 ]; then docker export "$cid" | tar -x -C "$dir"
else docker export "$cid" | tar -x -C "$dir" --no-same-owner --no-same-permissions
fi
# Docker's export contains its own placeholder /dev and /etc files; add what nslab needs.
skeleton_dirs "$dir"
skeleton_merge_etc "$dir"
skeleton_dev "$dir"

write_marker "$dir" docker-export ",\"image\":$(json_str "$image")"
echo "built $dir"
