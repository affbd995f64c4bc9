#!/usr/bin/env bash
# The old system's benchmark, for quant: starts quant on loopback in three
# configurations and runs the same scenarios against each with
# `quant burst`, then prints the old system's table (success rate, average
# response, throughput, cache hit rate), the hot-cache throughput against a
# bare net/http server, and a cross-check of quant burst against wrk.
#
# Configurations:
#   memory          the embedded defaults (in-memory store, built-in synthetic data, in-process cache)
#   postgres+redis  the same synthetic data imported into PostgreSQL, Redis behind the in-process cache
#   unprotected     the embedded defaults with --unprotected (no cache, coalescing, bulkheads or breakers)
# Scenarios: (a) cold, 10 concurrent ensemble requests for 10 politicians;
# (b) the same, hot; (c) 100 at concurrency 10, hot; (d) 1,000 at
# concurrency 100 and (e) 10,000 at concurrency 1,000 mixed over every
# analysis and politician, cold then hot.
#
# Run through `make bench-burst` (builds bin/quant, starts PostgreSQL and
# Redis with scripts/testenv.sh). Loopback only; every server it starts is
# stopped at exit. Reports go to $BENCH_OUT (default bench/out).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${QUANT_TEST_DATABASE_URL:?run through scripts/testenv.sh (make bench-burst)}"
: "${QUANT_TEST_REDIS_URL:?run through scripts/testenv.sh (make bench-burst)}"
BIN=${QUANT_BIN:-bin/quant}
OUT=${BENCH_OUT:-bench/out}
rm -rf "$OUT" && mkdir -p "$OUT"
# hey and wrk, the independent clients of the cross-check, from Debian.
if ! command -v hey >/dev/null || ! command -v wrk >/dev/null; then
	sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
	{ $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hey wrk; } >&2 ||
		echo "bench: could not install hey and wrk; the cross-check is skipped" >&2
fi
. bench/lib.sh
trap cleanup EXIT INT TERM

# start NAME ARGS...: runs quant serve; sets API_<NAME> and ADMIN_<NAME>.
start() {
	local name=$1; shift
	local api admin
	api=$(free_port); admin=$(free_port)
	QUANT_LOG_LEVEL=warn "$BIN" serve --addr "127.0.0.1:$api" --admin-addr "127.0.0.1:$admin" "$@" >"$OUT/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 300); do
		if "$BIN" health --url "http://127.0.0.1:$api/readyz" >/dev/null 2>&1; then
			printf -v "API_${name//[^a-z]/_}" '%s' "http://127.0.0.1:$api"
			printf -v "ADMIN_${name//[^a-z]/_}" '%s' "http://127.0.0.1:$admin"
			return
		fi
		sleep 0.1
	done
	echo "quant ($name) did not start:" >&2; cat "$OUT/$name.log" >&2; exit 1
}

# scenarios NAME API ADMIN COLD: runs (a)-(e); COLD is --cold or empty.
scenarios() {
	local name=$1 api=$2 admin=$3 cold=$4
	b() { local sid=$1; shift; "$BIN" burst --url "$api" --admin-url "$admin" --json --timeout 30s "$@" >"$OUT/${name}__$sid.json"; }
	b a -n 10 -c 10 --analysis ensemble --top 10 $cold
	b b -n 10 -c 10 --analysis ensemble --top 10
	b c -n 100 -c 10 --analysis ensemble --top 10
	b d-cold -n 1000 -c 100 --analysis all --top 0 $cold
	b d-hot -n 1000 -c 100 --analysis all --top 0
	b e-cold -n 10000 -c 1000 --analysis all --top 0 $cold
	b e-hot -n 10000 -c 1000 --analysis all --top 0
	echo "  $name: done" >&2
}

echo "== configurations" >&2
start memory
gen="$OUT/synthetic.csv"
"$BIN" gen -o "$gen" # the built-in dataset's defaults: the same data as `memory`
db="${QUANT_TEST_DATABASE_URL%/*}/quant_bench_burst?sslmode=disable"
psql -q "$QUANT_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS quant_bench_burst" -c "CREATE DATABASE quant_bench_burst" >/dev/null
"$BIN" import --database-url "$db" "$gen" >/dev/null
start pg --database-url "$db" --redis-url "$QUANT_TEST_REDIS_URL"
redis-cli -u "$QUANT_TEST_REDIS_URL" --scan --pattern 'quant:*' | xargs -r redis-cli -u "$QUANT_TEST_REDIS_URL" unlink >/dev/null

echo "== scenarios" >&2
scenarios memory "$API_memory" "$ADMIN_memory" --cold
scenarios postgres+redis "$API_pg" "$ADMIN_pg" --cold

echo "== hot cache against a bare net/http server" >&2
top=$(curl -s "$API_memory/api/v1/politicians?limit=1" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
hot="/api/v1/analytics/ensemble/$top"
bare=$(free_port)
go run ./bench/bare -addr "127.0.0.1:$bare" -from "$API_memory$hot" >"$OUT/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$bare/" >/dev/null && break; sleep 0.1; done
hotrow() {
	"$BIN" burst --urls-file <(echo "$2") -n 20000 -c 16 --json >"$OUT/hot__$1.json"
	printf '| %s | %.0f |\n' "$1" "$(grep -m1 '"throughput_rps"' "$OUT/hot__$1.json" | tr -dc '0-9.')"
}
{
	echo "| server (16 clients, 20,000 requests, one hot key) | requests/s |"
	echo "|---|---:|"
	hotrow bare "http://127.0.0.1:$bare/"
	hotrow memory "$API_memory$hot"
	hotrow postgres+redis "$API_pg$hot"
} >"$OUT/hot.md"

echo "== quant burst against hey and wrk (server pinned to core 0, clients to core 1)" >&2
cleanup; pids=()
api=$(free_port); admin=$(free_port)
QUANT_LOG_LEVEL=warn taskset -c 0 "$BIN" serve --addr "127.0.0.1:$api" --admin-addr "127.0.0.1:$admin" >"$OUT/pinned.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do "$BIN" health --url "http://127.0.0.1:$api/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
url="http://127.0.0.1:$api$hot"
curl -s "$url" >/dev/null
{
	echo "| client (10 connections, closed loop, one hot key; server on core 0, client on core 1) | requests/s |"
	echo "|---|---:|"
	for round in 1 2; do
		b=$(taskset -c 1 "$BIN" burst --urls-file <(echo "$url") -n 20000 -c 10 --json | grep -m1 '"throughput_rps"' | tr -dc '0-9.')
		printf '| quant burst -n 20000 -c 10 (round %d) | %.0f |\n' "$round" "$b"
		if command -v hey >/dev/null; then
			h=$(taskset -c 1 hey -n 20000 -c 10 "$url" | awk '/Requests\/sec/ {print $2}')
			printf '| hey -n 20000 -c 10 (round %d) | %.0f |\n' "$round" "$h"
		fi
		if command -v wrk >/dev/null; then
			w=$(taskset -c 1 wrk -t1 -c10 -d4s "$url" | awk '/Requests\/sec/ {print $2}')
			printf '| wrk -t1 -c10 -d4s (round %d) | %.0f |\n' "$round" "$w"
		fi
	done
	command -v hey >/dev/null || echo "(hey not installed: apt-get install hey)"
	command -v wrk >/dev/null || echo "(wrk not installed: apt-get install wrk)"
} >"$OUT/crosscheck.md"

echo "== unprotected" >&2
cleanup; pids=()
start unprotected --unprotected
scenarios unprotected "$API_unprotected" "$ADMIN_unprotected" ""

echo
echo "### The old system's table"
echo
go run ./bench/report "$OUT" memory postgres+redis unprotected
echo
echo "### Hot cache against a bare net/http server (same run)"
echo
cat "$OUT/hot.md"
echo
echo "### quant burst against independent tools (same run)"
echo
cat "$OUT/crosscheck.md"
