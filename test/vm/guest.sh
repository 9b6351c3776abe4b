#!/bin/bash
# Runs inside the VM test's guest, at boot, from the oneshot unit test/vm/image.sh installs:
#   guest.sh DISK
# DISK is the project disk run.ts made for this boot: repo/ (the working tree, also bind-mounted
# at /vagrant), config.sh (which scenarios, calibration), npm-cache/ (filled from the lockfile),
# debs/ (busybox-static) and out/, where every command's output is kept for the host's logs.
# For each scenario it does what a learner does on a fresh machine, as vagrant and with sudo,
# and writes one JSON object per line to /dev/ttyS1 (the host reads it as a file), then powers
# the VM off. It never decides pass or fail of a lesson itself: run.ts does, from these lines.
set -uo pipefail

disk=${1:?usage: guest.sh DISK}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$disk/out
mkdir -p "$out"
# shellcheck source=/dev/null
. "$disk/config.sh"

exec 9>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null || true
exec > >(tee -a "$out/guest.log") 2>&1

json_string() {
	# A JSON string literal of $1 (no node here: it costs seconds per start under emulation).
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/}
	s=${s//$'\t'/ }
	s=$(printf '%s' "$s" | tr -d '\000-\037')
	printf '"%s"' "$s"
}
emit() { printf '%s\n' "$1" >&9; }
say() { printf '[guest %s] %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# assert SCENARIO USER NAME OK DETAIL
assert() {
	emit "{\"t\":\"assert\",\"scenario\":$(json_string "$1"),\"user\":$(json_string "$2"),\"name\":$(json_string "$3"),\"ok\":$4,\"detail\":$(json_string "${5:-}")}"
}
timing() { emit "{\"t\":\"time\",\"name\":$(json_string "$1"),\"seconds\":$2}"; }

finish() {
	emit '{"t":"done"}'
	say "done; powering off"
	sync
	systemctl poweroff -f
}
trap finish EXIT

# shellcheck disable=SC1091 # the guest's own
emit "{\"t\":\"hello\",\"boot\":$(json_string "$BOOT"),\"kernel\":$(json_string "$(uname -r)"),\"uptime\":$(cut -d' ' -f1 /proc/uptime),\"os\":$(json_string "$(. /etc/os-release && echo "$PRETTY_NAME")")}"

# Calibration: how much slower this guest is than the host, from the same two probes on both
# sides (run.ts measured the host's into HOST_*_SECONDS): `node -e 0`, and 100 fork+execs of
# /bin/true, which is where emulation costs most. Every timeout below is a native budget times
# the larger ratio, so a slower emulator gets more time and nothing is a fixed small number.
# shellcheck source=/dev/null
. "$here/calibrate.sh"
calibrate
factor=$(awk -v gn="$CAL_NODE" -v hn="$HOST_NODE_SECONDS" -v ge="$CAL_EXEC" -v he="$HOST_EXEC_SECONDS" \
	'BEGIN { a = gn / (hn > 0 ? hn : 0.05); b = ge / (he > 0 ? he : 0.2); f = a > b ? a : b; f = int(f + 0.999); print (f < 1 ? 1 : f) }')
emit "{\"t\":\"calibration\",\"nodeSeconds\":$CAL_NODE,\"hostNodeSeconds\":$HOST_NODE_SECONDS,\"execSeconds\":$CAL_EXEC,\"hostExecSeconds\":$HOST_EXEC_SECONDS,\"factor\":$factor}"
say "node -e 0: ${CAL_NODE}s here, ${HOST_NODE_SECONDS}s on the host; 100 execs: ${CAL_EXEC}s here, ${HOST_EXEC_SECONDS}s on the host: timeouts x$factor"
budget() { echo $(($1 * factor)); }
# nslab scales its own deadlines (sandbox, spawn, waits) by this. runuser -l clears the
# environment and its PAM stack has no pam_env, so the login shell gets it from /etc/profile.d
# (which /etc/profile sources for sh and bash alike); /etc/environment covers pam_env users.
echo "NSLAB_TIME_SCALE=$factor" >>/etc/environment
echo "export NSLAB_TIME_SCALE=$factor" >/etc/profile.d/nslab-time-scale.sh
# sudo resets the environment: keep the factor, or `sudo npx nslab` runs on unscaled deadlines.
echo 'Defaults env_keep += "NSLAB_TIME_SCALE"' >/etc/sudoers.d/nslab-time-scale
chmod 0440 /etc/sudoers.d/nslab-time-scale
export NSLAB_TIME_SCALE=$factor

# step NAME NATIVE_SECONDS OUT ERR CMD...: runs CMD under a scaled timeout, stdout to OUT and
# stderr to ERR (- for OUT too); tells the host first (it extends its own deadline by as much);
# leaves the exit status in $rc and the time in $secs.
step() {
	local name=$1 native=$2 stdout=$3 stderr=$4
	shift 4
	local limit t
	limit=$(budget "$native")
	emit "{\"t\":\"step\",\"name\":$(json_string "$name"),\"timeout\":$limit}"
	say "$name (timeout ${limit}s)"
	t=$(now)
	if [[ $stderr == - ]]; then
		timeout -k 60 "$limit" "$@" >"$stdout" 2>&1 </dev/null
	else
		timeout -k 60 "$limit" "$@" >"$stdout" 2>"$stderr" </dev/null
	fi
	rc=$?
	secs=$(elapsed "$t")
	timing "$name" "$secs"
	if [[ $rc -eq 124 || $rc -eq 137 ]]; then say "$name: timed out after ${limit}s"; fi
	say "$name: exit $rc in ${secs}s"
}

# "${as_vagrant[@]}" DIR CMD...: as vagrant, in a login session of its own (pam_systemd: a
# session scope under user-1000.slice, as `vagrant ssh` gives), with the user manager's bus, in DIR.
# shellcheck disable=SC2016 # expanded by the login shell
# (`--` first: runuser would take a command's own options, such as --json, for its own.)
as_vagrant=(runuser -l -c 'export XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus TERM=dumb
	cd "$0" && exec "$@"' -- vagrant)

# The user manager lingering started; without its bus the cgroup lesson cannot delegate.
for _ in $(seq 1 "$(budget 10)"); do
	[[ -S /run/user/1000/bus ]] && break
	sleep 1
done
[[ -S /run/user/1000/bus ]] || say "no /run/user/1000/bus: vagrant's user manager is not up"

# Residue on the VM's own (shared) /: mount points and cgroup directories.
snapshot() {
	awk '{ print $5 }' /proc/self/mountinfo | sort >"$1.mounts"
	find /sys/fs/cgroup -type d 2>/dev/null | sort >"$1.cgroups"
}
# residue SCENARIO USER BEFORE: a new mount point, or any new cgroup named nslab, fails.
residue() {
	local scenario=$1 user=$2 before=$3 after=$out/residue-after.$$ mounts cgroups detail=""
	sleep 2
	snapshot "$after"
	mounts=$(comm -13 "$before.mounts" "$after.mounts")
	cgroups=$(comm -13 "$before.cgroups" "$after.cgroups" | grep -i nslab)
	[[ -n $mounts ]] && detail+="new mounts: $(echo "$mounts" | tr '\n' ' ') "
	[[ -n $cgroups ]] && detail+="nslab cgroups: $(echo "$cgroups" | tr '\n' ' ')"
	rm -f "$after.mounts" "$after.cgroups"
	if [[ -z $detail ]]; then
		assert "$scenario" "$user" residue true "no new mount, no nslab cgroup"
	else
		say "residue: $detail"
		assert "$scenario" "$user" residue false "$detail"
	fi
}

# lessons SCENARIO USER DIR PREFIX: doctor --json and verify --json (as USER: vagrant, or root
# through sudo as the README says), the per-lesson lines of both sent to the host.
lessons() {
	local scenario=$1 user=$2 dir=$3 prefix=$4 sudo=()
	[[ $user == root ]] && sudo=(sudo)
	step "$scenario $user doctor" 30 "$prefix-doctor.json" "$prefix-doctor.err" "${as_vagrant[@]}" "$dir" "${sudo[@]}" npx nslab doctor --json
	local doctor_rc=$rc
	step "$scenario $user verify" 120 "$prefix-verify.json" "$prefix-verify.err" "${as_vagrant[@]}" "$dir" "${sudo[@]}" npx nslab verify --json
	local verify_rc=$rc verify_secs=$secs
	emit "$(node "$here/guest-summary.mjs" "$scenario" "$user" "$prefix-doctor.json" "$doctor_rc" "$prefix-verify.json" "$verify_rc" "$verify_secs")"
}

# human SCENARIO USER DIR PREFIX: verify as a learner reads it; no JS stack frame may show, and
# it passes as the JSON run did (a lesson that fails only sometimes shows here, so say which).
human() {
	local scenario=$1 user=$2 dir=$3 prefix=$4 frames failing
	step "$scenario $user verify (human)" 120 "$prefix-verify.txt" - "${as_vagrant[@]}" "$dir" npx nslab verify
	failing=$(grep -E '^\s*FAIL ' "$prefix-verify.txt" | sed -E 's/^\s*FAIL +([^ ]+).*/\1/' | tr '\n' ' ')
	if [[ $rc == 0 && -z $failing ]]; then
		assert "$scenario" "$user" "verify (human) passes" true "exit 0"
	else
		assert "$scenario" "$user" "verify (human) passes" false "exit $rc; failed: ${failing:-none named} (see $(basename "$prefix")-verify.txt)"
	fi
	frames=$(grep -E '^\s+at .*\(.*:[0-9]+:[0-9]+\)' "$prefix-verify.txt" | head -n 5)
	if [[ -z $frames ]]; then
		assert "$scenario" "$user" "no stack frames" true "verify's output (exit $rc) shows none"
	else
		assert "$scenario" "$user" "no stack frames" false "$(grep -cE '^\s+at .*\(.*:[0-9]+:[0-9]+\)' "$prefix-verify.txt") frames, e.g. $frames"
	fi
}

# The checkout a learner makes: the project in their home, theirs, then the README's install.
checkout=/home/vagrant/nslab
setup_checkout() {
	local scenario=$1
	rm -rf "$checkout"
	cp -a /vagrant "$checkout"
	chown -R vagrant:vagrant "$checkout"
	install_npm_cache
	step "$scenario npm install" 120 "$out/$scenario-npm-install.txt" - "${as_vagrant[@]}" "$checkout" npm install
	if [[ $rc -eq 0 ]]; then
		assert "$scenario" vagrant "npm install" true "${secs}s"
	else
		assert "$scenario" vagrant "npm install" false "exit $rc: $(tail -n 15 "$out/$scenario-npm-install.txt")"
	fi
}
# What the registry would give: the lockfile's packages in vagrant's ~/.npm (npmrc: offline).
install_npm_cache() {
	if [[ ! -d /home/vagrant/.npm ]]; then
		cp -a "$disk/npm-cache" /home/vagrant/.npm
		chown -R vagrant:vagrant /home/vagrant/.npm
	fi
}

# The lesson-content tests, as vagrant in the checkout: one result per file.
lesson_tests() {
	local scenario=$1 file name summary
	for file in $LESSON_TESTS; do
		name=${file//\//_}
		step "$scenario test $file" 90 "$out/$scenario-$name.txt" - "${as_vagrant[@]}" "$checkout" node --import tsx "$file"
		summary=$(grep -E '^\s*(Total|Passed|Skipped):' "$out/$scenario-$name.txt" | tr -s ' \n' ' ')
		if [[ $rc -eq 0 ]]; then
			assert "$scenario" vagrant "$file" true "$summary(${secs}s)"
		else
			assert "$scenario" vagrant "$file" false "exit $rc; $summary; $(grep -E 'FAIL|✘|Error' "$out/$scenario-$name.txt" | head -n 5)"
		fi
	done
}

clear_rootfs() { rm -rf /home/vagrant/.cache/nslab/rootfs /root/.cache/nslab/rootfs; }

# Each scenario: what makes it, then the learner's runs as vagrant and as root.
run_scenario() {
	local scenario=$1 kind=${1#*-} pre
	pre=$out/$scenario
	case $kind in
	plain)
		[[ -d $checkout ]] || setup_checkout "$scenario"
		if dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || command -v busybox >/dev/null; then
			assert "$scenario" - "no busybox" false "busybox is installed: $(command -v busybox) $(dpkg-query -W busybox-static 2>&1)"
		fi
		;;
	busybox)
		[[ -d $checkout ]] || setup_checkout "$scenario"
		step "$scenario dpkg -i busybox-static" 60 "$pre-dpkg.txt" - dpkg -i "$disk"/debs/busybox-static_*.deb
		if [[ $rc -eq 0 ]]; then
			assert "$scenario" - "install busybox-static" true "$(dpkg-query -W busybox-static)"
		else
			assert "$scenario" - "install busybox-static" false "exit $rc: $(tail -n 5 "$pre-dpkg.txt")"
		fi
		clear_rootfs
		;;
	apparmor)
		apparmor_scenario "$scenario"
		return
		;;
	provision)
		provision_scenario "$scenario"
		return
		;;
	*)
		assert "$scenario" - "known scenario" false "no scenario $kind"
		return
		;;
	esac
	snapshot "$pre.before"
	lessons "$scenario" vagrant "$checkout" "$pre-vagrant"
	[[ $kind == plain || ${HUMAN_VERIFY:-} == all ]] && human "$scenario" vagrant "$checkout" "$pre-vagrant"
	residue "$scenario" vagrant "$pre.before"
	lessons "$scenario" root "$checkout" "$pre-root"
	residue "$scenario" root "$pre.before"
}

# Ubuntu 24.04's setting, where the kernel has it: doctor must name it; the README's AppArmor
# profile for the helper must then make every lesson pass as vagrant.
apparmor_scenario() {
	local scenario=$1 pre=$out/$1 sysctl=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
	if [[ ! -e $sysctl ]]; then
		emit "{\"t\":\"note\",\"scenario\":$(json_string "$scenario"),\"text\":\"this kernel ($(uname -r)) has no kernel.apparmor_restrict_unprivileged_userns: scenario not applicable\"}"
		return
	fi
	[[ -d $checkout ]] || setup_checkout "$scenario"
	clear_rootfs
	emit "{\"t\":\"note\",\"scenario\":$(json_string "$scenario"),\"text\":$(json_string "kernel.apparmor_restrict_unprivileged_userns was $(cat $sysctl); AppArmor: $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)")}"
	sysctl -w kernel.apparmor_restrict_unprivileged_userns=1
	snapshot "$pre.before"
	lessons "$scenario" vagrant "$checkout" "$pre-vagrant"
	emit "$(node "$here/guest-summary.mjs" --doctor-line apparmor_restrict "$scenario" vagrant "$pre-vagrant-doctor.json")"
	residue "$scenario" vagrant "$pre.before"

	# The README's profile, with this checkout's helper path, loaded as it says.
	local fixed=$scenario+fix profile=/etc/apparmor.d/nslab-helper
	awk '/^### Ubuntu 23.10/ { s = 1 } s && /^## / && !/^###/ { s = 0 } s' "$checkout/README.md" |
		awk '/^```/ { if (b) { if (p) exit; b = 0; buf = ""; next } b = 1; next } b { buf = buf $0 "\n"; if ($0 ~ /^profile /) p = 1 } END { printf "%s", buf }' |
		sed "s#[^ ]*/native/nslab-helper#$checkout/native/nslab-helper#" >"$profile"
	cp "$profile" "$pre-profile.txt"
	step "$scenario apparmor_parser" 30 "$pre-apparmor_parser.txt" - apparmor_parser -r "$profile"
	if [[ $rc -eq 0 ]]; then
		assert "$fixed" - "README profile loads" true "$(tr '\n' ' ' <"$profile")"
	else
		assert "$fixed" - "README profile loads" false "apparmor_parser -r exit $rc: $(cat "$pre-apparmor_parser.txt") (profile: $(tr '\n' ' ' <"$profile"))"
	fi
	dmesg | grep -i apparmor | tail -n 20 >"$pre-dmesg.txt"
	snapshot "$pre.fixed"
	lessons "$fixed" vagrant "$checkout" "$pre-fixed-vagrant"
	residue "$fixed" vagrant "$pre.fixed"
	dmesg | grep -iE 'apparmor="DENIED"|userns' | tail -n 20 >>"$pre-dmesg.txt"
	apparmor_parser -R "$profile" >/dev/null 2>&1
	rm -f "$profile"
	sysctl -w kernel.apparmor_restrict_unprivileged_userns=0
}

# The NAT network run.ts gives a provision boot (QEMU user mode, as a Vagrant box's NAT): its
# fixed addresses, so the image needs no DHCP client. Offline boots have no interface to set.
nat_network() {
	local dev
	dev=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
	[[ -n $dev ]] || { say "no network interface: provision.sh will find no Debian registry"; return 0; }
	ip link set "$dev" up
	ip addr add 10.0.2.15/24 dev "$dev" 2>/dev/null || true
	ip route add default via 10.0.2.2 2>/dev/null || true
	printf 'nameserver 10.0.2.3\n' >/etc/resolv.conf
	say "network: $dev 10.0.2.15 via QEMU's NAT"
}

# `vagrant up`: the Vagrantfile's provisioner, as root, on the rsynced /vagrant (vagrant's).
provision_scenario() {
	local scenario=$1 pre=$out/$1
	nat_network
	chown -R vagrant:vagrant /vagrant
	install_npm_cache
	snapshot "$pre.before"
	step "$scenario provision.sh" 600 "$pre-provision.txt" - sh /vagrant/rootfs-scripts/provision.sh --user vagrant --repo /vagrant
	if [[ $rc -eq 0 ]]; then
		assert "$scenario" - "provision.sh" true "${secs}s"
	else
		assert "$scenario" - "provision.sh" false "exit $rc: $(tail -n 15 "$pre-provision.txt")"
	fi
	lessons "$scenario" vagrant /vagrant "$pre-vagrant"
	residue "$scenario" vagrant "$pre.before"
	lessons "$scenario" root /vagrant "$pre-root"
	residue "$scenario" root "$pre.before"
}

say "boot $BOOT: scenarios $SCENARIOS"
first=1
for scenario in $SCENARIOS; do
	run_scenario "$scenario"
	if [[ $first == 1 && -n ${LESSON_TESTS:-} && -d $checkout/node_modules ]]; then
		lesson_tests "$scenario"
	fi
	first=0
done
