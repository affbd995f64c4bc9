#!/usr/bin/env bash
# fuzz.sh PKG TARGET FUZZTIME: runs one fuzz target for FUZZTIME.
#
# Go 1.26's fuzzing coordinator can report "context deadline exceeded" as
# a failure when -fuzztime runs out while a worker is mid-input on a busy
# machine (golang/go#75804, fixed in Go 1.27): no input failed, none is
# written. Such a run is retried once; any other failure (a failing input
# is written to testdata/fuzz, a panic, a t.Error) fails at once, as does
# the same deadline report twice.
set -uo pipefail
pkg=$1 target=$2 fuzztime=$3
for attempt in 1 2; do
	log=$(mktemp)
	"${GO:-go}" test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	if [ "$status" -eq 0 ]; then
		rm -f "$log"
		exit 0
	fi
	if [ "$attempt" -eq 1 ] && grep -q '^    context deadline exceeded$' "$log" &&
		! grep -q -e 'Failing input written' -e '^panic:' -e 'fuzz_test.go:[0-9]' "$log"; then
		echo "fuzz.sh: $target: the Go fuzz coordinator's deadline race (golang/go#75804), no failing input: running it again" >&2
		rm -f "$log"
		continue
	fi
	rm -f "$log"
	exit "$status"
done
