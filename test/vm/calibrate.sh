#!/bin/bash
# Sourced by test/vm/guest.sh in the VM and run by test/vm/run.ts on the host (bash
# calibrate.sh): the same probes on both sides, so their ratio says how much slower the guest
# is. Sets (or, run directly, prints) CAL_NODE and CAL_EXEC, seconds, the best of three each.
calibrate() {
	local t best i
	_cal_now() { date +%s.%N; }
	_cal_min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }
	node -e 0
	best=
	for _ in 1 2 3; do
		t=$(_cal_now)
		node -e 0
		best=$(_cal_min "$(awk -v a="$t" -v b="$(_cal_now)" 'BEGIN { printf "%.4f", b - a }')" "$best")
	done
	CAL_NODE=$best
	best=
	for _ in 1 2 3; do
		t=$(_cal_now)
		for ((i = 0; i < 100; i++)); do /bin/true; done
		best=$(_cal_min "$(awk -v a="$t" -v b="$(_cal_now)" 'BEGIN { printf "%.4f", b - a }')" "$best")
	done
	CAL_EXEC=$best
}
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	calibrate
	echo "CAL_NODE=$CAL_NODE CAL_EXEC=$CAL_EXEC"
fi
