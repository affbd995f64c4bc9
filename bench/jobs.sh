#!/usr/bin/env bash
# The jobs API under `quant warm --top 100` (402 jobs: fourier, hmm, dtw and
# ensemble of the 100 most active politicians, correlation, network), cold
# and then hot, on: one instance with jobs in memory; one instance with
# jobs in PostgreSQL; three instances on one PostgreSQL and Redis (the
# jobs submitted to the first, run by all three).
#
# Run through `make bench-jobs` (builds bin/quant, starts PostgreSQL and
# Redis with scripts/testenv.sh). Loopback only; it stops what it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${QUANT_TEST_DATABASE_URL:?run through scripts/testenv.sh (make bench-jobs)}"
: "${QUANT_TEST_REDIS_URL:?run through scripts/testenv.sh (make bench-jobs)}"
BIN=${QUANT_BIN:-bin/quant}
OUT=${BENCH_OUT:-bench/out/jobs}
rm -rf "$OUT" && mkdir -p "$OUT"
. bench/lib.sh
trap cleanup EXIT INT TERM

db="${QUANT_TEST_DATABASE_URL%/*}/quant_bench_jobs?sslmode=disable"
"$BIN" gen -o "$OUT/synthetic.csv"

# start NAME ARGS... starts an instance and sets url to its API URL (not
# run in a subshell, so that cleanup knows its pid).
start() {
	local name=$1 api admin
	shift
	api=$(free_port)
	admin=$(free_port)
	QUANT_LOG_LEVEL=warn "$BIN" serve --addr "127.0.0.1:$api" --admin-addr "127.0.0.1:$admin" "$@" >"$OUT/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 300); do "$BIN" health --url "http://127.0.0.1:$api/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
	url="http://127.0.0.1:$api"
}

# scenario NAME URL: warm cold, then hot, and print both lines.
scenario() {
	echo "## $1"
	"$BIN" warm --url "$2" --top 100 | sed 's/^/cold: /'
	"$BIN" warm --url "$2" --top 100 | sed 's/^/hot:  /'
}

fresh_db() {
	psql -q "$QUANT_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS quant_bench_jobs WITH (FORCE)" -c "CREATE DATABASE quant_bench_jobs" >/dev/null 2>&1
	"$BIN" import --database-url "$db" "$OUT/synthetic.csv" >/dev/null 2>&1
}

exec > >(tee "$OUT/summary.txt") 2>&1
echo "# quant warm --top 100 through the jobs API ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
start memory --data "$OUT/synthetic.csv"
scenario "1 instance, jobs in memory" "$url"
cleanup; pids=()

fresh_db
start pg --database-url "$db"
scenario "1 instance, jobs in PostgreSQL" "$url"
cleanup; pids=()

fresh_db
redis-cli -u "$QUANT_TEST_REDIS_URL" flushall >/dev/null
urls=()
for i in 1 2 3; do
	start "pg$i" --database-url "$db" --redis-url "$QUANT_TEST_REDIS_URL"
	urls+=("$url")
done
scenario "3 instances, jobs in PostgreSQL, Redis shared" "${urls[0]}"

