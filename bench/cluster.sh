#!/usr/bin/env bash
# Hot-cache throughput of 1, 2 and 3 quant instances sharing PostgreSQL and
# Redis, under the same client load (quant burst spreading requests over
# the instances in turn, as a round-robin load balancer would), and the
# Redis commands each request costs. On this 2-core machine more instances
# show the overhead of running them, not a speed-up.
#
# Run through `make bench-cluster` (builds bin/quant, starts PostgreSQL and
# Redis with scripts/testenv.sh). Loopback only; it stops what it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${QUANT_TEST_DATABASE_URL:?run through scripts/testenv.sh (make bench-cluster)}"
: "${QUANT_TEST_REDIS_URL:?run through scripts/testenv.sh (make bench-cluster)}"
BIN=${QUANT_BIN:-bin/quant}
OUT=${BENCH_OUT:-bench/out/cluster}
rm -rf "$OUT" && mkdir -p "$OUT"
. bench/lib.sh
trap cleanup EXIT INT TERM

db="${QUANT_TEST_DATABASE_URL%/*}/quant_bench_cluster?sslmode=disable"
psql -q "$QUANT_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS quant_bench_cluster" -c "CREATE DATABASE quant_bench_cluster" >/dev/null
"$BIN" gen -o "$OUT/synthetic.csv"
"$BIN" import --database-url "$db" "$OUT/synthetic.csv" >/dev/null

apis=()
for i in 1 2 3; do
	api=$(free_port); admin=$(free_port)
	QUANT_LOG_LEVEL=warn "$BIN" serve --addr "127.0.0.1:$api" --admin-addr "127.0.0.1:$admin" \
		--database-url "$db" --redis-url "$QUANT_TEST_REDIS_URL" >"$OUT/quant$i.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 300); do "$BIN" health --url "http://127.0.0.1:$api/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
	apis+=("http://127.0.0.1:$api")
done

# The hot set: every per-politician analysis of the 20 most active, warmed
# through the first instance (the others find them in Redis).
"$BIN" warm --url "${apis[0]}" --top 20 >/dev/null
paths=$(for a in fourier hmm dtw ensemble; do
	curl -s "${apis[0]}/api/v1/politicians?limit=20" | grep -o '"id":"[^"]*"' | cut -d'"' -f4 | sed "s#^#/api/v1/analytics/$a/#"
done)

commands() { redis-cli -u "$QUANT_TEST_REDIS_URL" info stats | awk -F: '/total_commands_processed/ {print $2}' | tr -d '\r'; }

echo "| instances | requests/s (hot) | p50 | p99 | success | Redis commands per hot request | Redis commands per L1 miss (first pass) |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in 1 2 3; do
	urls="$OUT/urls$n.txt"
	: >"$urls"
	for p in $paths; do
		for i in $(seq 0 $((n - 1))); do echo "${apis[$i]}$p" >>"$urls"; done
	done
	# one pass first so every instance's L1 holds the hot set, as in steady
	# state; its requests are L1 misses the shared Redis answers
	prime=$(wc -l <"$urls")
	b0=$(commands)
	"$BIN" burst --urls-file "$urls" -n "$prime" -c 16 --json >/dev/null
	b1=$(commands)
	before=$(commands)
	"$BIN" burst --urls-file "$urls" -n 20000 -c 32 --json >"$OUT/n$n.json"
	after=$(commands)
	field() { grep -m1 "\"$1\"" "$OUT/n$n.json" | awk -F: '{gsub(/[ ,]/, "", $2); print $2}'; }
	# the commands counted include the few per second the bus and INFO itself cost
	awk -v n="$n" -v rps="$(field throughput_rps)" -v p50="$(field p50_ms)" -v p99="$(field p99_ms)" -v ok="$(field success_rate)" \
		-v cmds="$((after - before))" -v pc="$((b1 - b0))" -v prime="$prime" \
		'BEGIN { printf "| %d | %.0f | %.2f ms | %.2f ms | %.1f%% | %.3f | %.2f |\n", n, rps, p50, p99, 100*ok, cmds/20000, pc/prime }'
done
