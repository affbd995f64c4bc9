#!/usr/bin/env bash
# Import and series timings for BENCHMARKS.md: every real file of
# ../shared/data (Senate CSV and JSON, Senate filings, House) and generated
# 1,000,000-record Senate CSV and House JSON files, into the in-memory store
# and PostgreSQL.
# Run it through `make bench-import` (which builds bin/quant and starts
# PostgreSQL with scripts/testenv.sh); it prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${QUANT_BIN:-bin/quant}
DATA=${QUANT_DATA_DIR:-../shared/data}
: "${QUANT_TEST_DATABASE_URL:?run through scripts/testenv.sh (make bench-import)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# peak_rss CMD...: runs CMD, keeps its stdout in $work/out, prints "seconds rss_mb".
peak_rss() {
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err"
	awk '{printf "%.2f %.0f\n", $1, $2/1024}' "$work/time"
}

# import_ms: the duration_ms of the first file in $work/out (quant import --json).
import_ms() { grep -m1 '"duration_ms"' "$work/out" | tr -dc '0-9.'; }

# fresh_db NAME: a new empty database on the test server; prints its URL.
fresh_db() {
	psql -q "$QUANT_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
	echo "${QUANT_TEST_DATABASE_URL%/*}/$1?sslmode=disable"
}

gen="$work/gen1m.csv"
genh="$work/gen1m-house.json"
echo "| step | file | records | wall s | import ms | peak RSS MB |"
echo "|---|---|---:|---:|---:|---:|"
read -r gen_s gen_rss < <(peak_rss "$BIN" gen --politicians 500 --trades 1000000 --seed 1 -o "$gen")
echo "| quant gen | 1,000,000 trades, 500 politicians, Senate CSV ($(( $(stat -c %s "$gen") / 1048576 )) MB) | 1000000 | $gen_s | | $gen_rss |"
read -r gen_s gen_rss < <(peak_rss "$BIN" gen --format house-json --politicians 500 --trades 1000000 --seed 1 -o "$genh")
echo "| quant gen | 1,000,000 trades, 500 politicians, House JSON ($(( $(stat -c %s "$genh") / 1048576 )) MB) | 1000000 | $gen_s | | $gen_rss |"
files=("$DATA/senate_all_transactions.csv" "$DATA/senate_all_transactions.json" "$DATA/senate_all_filings.json" "$DATA/house_all_transactions.json" "$gen" "$genh")
for f in "${files[@]}"; do
	[ -f "$f" ] || { echo "| skipped | $f (missing) | | | | |"; continue; }
	read -r s rss < <(peak_rss "$BIN" import --json "$f")
	recs=$(grep -m1 '"records"' "$work/out" | tr -dc '0-9')
	echo "| import, memory | $(basename "$f") | $recs | $s | $(import_ms) | $rss |"
	url=$(fresh_db quant_bench)
	read -r s rss < <(peak_rss "$BIN" import --json --database-url "$url" "$f")
	echo "| import, postgres | $(basename "$f") | $recs | $s | $(import_ms) | $rss |"
	# The daily refresh of an unchanged cumulative file: every filing is
	# compared and left as stored.
	read -r s rss < <(peak_rss "$BIN" import --json --force --database-url "$url" "$f")
	grep -q '"changed": false' "$work/out" || { echo "refresh of $f changed the store" >&2; exit 1; }
	echo "| refresh (--force, unchanged), postgres | $(basename "$f") | $recs | $s | $(import_ms) | $rss |"
done

echo
echo "Weekly series (Dataset + every politician's s_p), go test -bench Series:"
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	QUANT_BENCH_FILE=$(realpath "$f") go test -run '^$' -bench '^BenchmarkSeries$' -benchtime 10x -count 1 \
		./internal/inmem/ ./internal/postgres/ | awk -v f="$(basename "$f")" '/^pkg:/{pkg=$2} /^BenchmarkSeries/{printf "  %-40s %-28s %10.2f ms/op\n", pkg, f, $3/1e6}'
done
