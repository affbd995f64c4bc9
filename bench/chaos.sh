#!/usr/bin/env bash
# The chaos run: quant under a steady mixed load while its dependencies and
# its operators misbehave, then a check that it recovered by itself.
#
#   make chaos                         # 5 minutes of load and faults
#   CHAOS_DURATION=60s make chaos      # a quick run
#
# It starts, on 127.0.0.1 only and with its data in a temporary directory,
# its own PostgreSQL 15 (from $PG_BIN; as root it runs as the postgres user)
# and redis-server, imports the real Senate data (../shared/data; set
# CHAOS_DATA=gen for `quant gen` data), and runs bin/quant serve on both.
# Then the load driver (bench/chaos, Go, standard library only) warms a hot
# set of analysis URLs and sends, open loop for CHAOS_DURATION, hot requests
# and cold ones (distinct politicians, dtw k, ensemble horizons,
# correlation sizes, network weights; store listings; unknown ids and
# invalid parameters on purpose), classifying every answer. Meanwhile this
# script injects one fault every 10-25 s, in turn: Redis kill -9 and
# restart; an ingest (POST /api/v1/trades of a `quant gen` file) with
# PostgreSQL crashed (stop -m immediate) while it is being imported, then
# started and the POST repeated (bench/chaos ingest judges it: stored
# exactly once); PostgreSQL frozen with SIGSTOP (postmaster and every
# backend) for longer than the statement timeout, then SIGCONT; PostgreSQL
# stop (fast or immediate) and start; a psql session holding LOCK TABLE
# trades IN ACCESS EXCLUSIVE MODE; a breaker forced open, then closed, then
# back to auto; Redis frozen with SIGSTOP, then SIGCONT; a cache flush;
# Redis and PostgreSQL down together. In 5 minutes (12 faults) the first
# three come twice. CHAOS_FAULTS picks and orders them.
# quant's RSS is sampled every second.
#
# After the last fault: a bounded wait until quant reports itself ready
# with no breaker forced or open; then, from the same quant process, a cache
# flush, one warming pass over the hot set (computing each answer again,
# which also lets tripped breakers probe and close), and 500 hot requests
# that must all answer 200 from the cache, with every breaker closed
# afterwards and the store's trade count the one the last check left
# (nothing lost). The summary table goes to stdout; the script exits non-zero when
# an assertion fails (see bench/chaos/main.go for the outcomes, BENCHMARKS.md
# for the bounds), printing the tail of quant's log.
#
# Everything it starts is stopped and the temporary directory removed at
# exit, on failure or Ctrl-C too; the logs and reports are copied to
# $CHAOS_OUT (default bench/out/chaos) first. The whole run is bounded by
# CHAOS_DURATION plus 5 minutes.
#
# Environment: CHAOS_DURATION (5m; s or m suffix), CHAOS_HOT_RATE (40/s),
# CHAOS_COLD_RATE (10/s), CHAOS_FAULT_INTERVAL (seconds; default from the
# duration), CHAOS_FAULTS (the rotation, names of the fault_ functions below
# without the prefix, e.g. "lock ingest_crash"; default all nine),
# CHAOS_INGEST_TRADES (50000: records of an ingest's body), CHAOS_RSS_LIMIT_MB
# (1024), CHAOS_DATA (a CSV or JSON file, or gen), CHAOS_OUT, PG_BIN
# (/usr/lib/postgresql/15/bin), QUANT_BIN (bin/quant).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BIN=${QUANT_BIN:-bin/quant}
OUT=${CHAOS_OUT:-bench/out/chaos}
HOT_RATE=${CHAOS_HOT_RATE:-40}
COLD_RATE=${CHAOS_COLD_RATE:-10}
RSS_LIMIT_MB=${CHAOS_RSS_LIMIT_MB:-1024}
REDIS_DOWN=3 # seconds Redis stays dead
PG_DOWN=4    # seconds PostgreSQL stays stopped after a fast stop
HOLD=4       # seconds a breaker stays forced open, then forced closed
HANG=8       # seconds PostgreSQL or Redis stays frozen (SIGSTOP): past quant's 5 s statement timeout
LOCK_HOLD=10 # seconds the psql session holds the ACCESS EXCLUSIVE lock on trades
INGEST_TRADES=${CHAOS_INGEST_TRADES:-50000}
TOKEN=chaos-ingest-token
FAULTS=${CHAOS_FAULTS:-redis ingest_crash pg_hang pg lock breaker redis_hang flush both}

die() { echo "chaos: $*" >&2; exit 1; }

CHAOS_DURATION=${CHAOS_DURATION:-5m}
case $CHAOS_DURATION in
*m) dur=$((${CHAOS_DURATION%m} * 60)) ;;
*s) dur=${CHAOS_DURATION%s} ;;
*) dur=$CHAOS_DURATION ;;
esac
[[ $dur =~ ^[0-9]+$ ]] && ((dur >= 30)) || die "CHAOS_DURATION must be at least 30s (like 60s or 5m), got ${CHAOS_DURATION:-}"
interval=${CHAOS_FAULT_INTERVAL:-$(((dur - 20) / 5))}
((interval < 10)) && interval=10
((interval > 25)) && interval=25
hard=$((dur + 300))

[[ -x $BIN ]] || die "$BIN not found (make build)"
[[ -x $PG_BIN/initdb ]] || die "PostgreSQL binaries not found in $PG_BIN (set PG_BIN)"
read -ra types <<<"$FAULTS"
((${#types[@]} > 0)) || die "CHAOS_FAULTS names no fault"
if ! command -v redis-server >/dev/null; then
	sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
	{ $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server; } >&2 ||
		die "redis-server missing and apt-get install failed"
fi
if [[ -z ${CHAOS_DATA:-} ]]; then
	CHAOS_DATA=$(ls ../shared/data/*.csv 2>/dev/null | head -1 || true)
	[[ -n $CHAOS_DATA ]] || CHAOS_DATA=gen
fi

. bench/lib.sh # free_port

tmp="" redis_pid="" quant_pid="" load_pid="" rss_pid="" watchdog="" pg_up="" t0=0
frozen=""     # the pids a fault has stopped with SIGSTOP, resumed at exit if it is cut short
ingest_pid="" # bench/chaos ingest while an ingest fault runs

# as_pg runs a command as the user that owns the PostgreSQL server.
as_pg() {
	if [[ $(id -u) -ne 0 ]]; then
		"$@"
	else
		runuser -u postgres -- "$@"
	fi
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	[[ -n $frozen ]] && kill -CONT $frozen 2>/dev/null
	[[ -n $watchdog ]] && kill "$watchdog" 2>/dev/null
	for p in $rss_pid $load_pid $ingest_pid; do kill "$p" 2>/dev/null; done
	if [[ -n $quant_pid ]] && kill -0 "$quant_pid" 2>/dev/null; then
		kill -TERM "$quant_pid"
		for _ in $(seq 1 100); do kill -0 "$quant_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$quant_pid" 2>/dev/null
	fi
	[[ -n $redis_pid ]] && kill -KILL "$redis_pid" 2>/dev/null
	for p in $watchdog $rss_pid $load_pid $ingest_pid $quant_pid $redis_pid; do wait "$p" 2>/dev/null; done
	[[ -n $pg_up ]] && as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1
	if [[ -n $tmp ]]; then
		if ((rc != 0)) && [[ -s $tmp/quant.log ]]; then
			echo "chaos: FAILED (exit $rc); quant's errors and the tail of its log ($OUT/quant.log):" >&2
			grep -E '"level":"(ERROR|WARN)"' "$tmp/quant.log" | tail -n 20 >&2
			echo "---- last 30 lines ----" >&2
			tail -n 30 "$tmp/quant.log" >&2
		fi
		rm -rf "$OUT" && mkdir -p "$OUT"
		for f in quant.log postgres.log redis.log faults.tsv rss.tsv hot.txt load.json events.jsonl settle.json verify.json ingest.jsonl summary.md; do
			[[ -f $tmp/$f ]] && cp "$tmp/$f" "$OUT/"
		done
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# nap sleeps in the background so that a signal is handled at once.
nap() { sleep "$1" & wait $!; }

# flog TYPE PHASE [DETAIL]: one line of the fault log (faults.tsv), echoed
# with the time and the offset into the load.
flog() {
	local now
	now=$(date +%s%3N)
	printf '%s\t%s\t%s\t%s\n' "$now" "$1" "$2" "${3:-}" >>"$tmp/faults.tsv"
	printf '%s +%3ds fault %-11s %-5s %s\n' "$(date +%H:%M:%S.%3N)" $(((now - t0) / 1000)) "$1" "$2" "${3:-}" >&2
}

start_redis() {
	redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
		--daemonize no --dir "$tmp" --logfile "$tmp/redis.log" </dev/null >/dev/null 2>&1 &
	redis_pid=$!
	for _ in $(seq 1 100); do
		[[ $(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null) == PONG ]] && return 0
		sleep 0.1
	done
	return 1
}

pg_start() {
	as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -l "$tmp/postgres.log" -w -t 60 start >/dev/null && pg_up=1
}

# pg_stop MODE: fast (sessions terminated, clean shutdown) or immediate
# (as a crash: recovery on the next start).
pg_stop() {
	as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -m "$1" -w -t 60 stop >/dev/null && pg_up=""
}

# admin TYPE PATH: POST to quant's admin API; a failure is logged as an error
# of the fault TYPE.
admin() {
	local code
	code=$(curl -s -m 10 -o "$tmp/admin.out" -w '%{http_code}' -X POST "$ADMIN$2") || code=000
	[[ $code == 200 ]] || flog "$1" error "POST $2 -> $code $(head -c 300 "$tmp/admin.out" 2>/dev/null)"
}

fault_redis() {
	flog redis-kill begin "kill -9 redis-server (pid $redis_pid)"
	kill -KILL "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
	nap "$REDIS_DOWN"
	start_redis || flog redis-kill error "redis-server did not restart"
	flog redis-kill end "redis-server restarted (pid $redis_pid)"
}

npg=0
fault_pg() {
	local mode=fast
	((npg++ % 2 == 0)) || mode=immediate
	flog pg-restart begin "pg_ctl stop -m $mode"
	pg_stop "$mode" || flog pg-restart error "pg_ctl stop -m $mode failed"
	[[ $mode == fast ]] && nap "$PG_DOWN"
	pg_start || flog pg-restart error "pg_ctl start failed"
	flog pg-restart end "pg_ctl start (stopped $mode)"
}

breakers=(ensemble dtw hmm fourier correlation network)
nbr=0
fault_breaker() {
	local b=${breakers[nbr++ % ${#breakers[@]}]}
	flog breaker begin "$b: force open"
	admin breaker "/admin/v1/breakers/$b/open?reason=chaos"
	nap "$HOLD"
	flog breaker step "$b: force closed"
	admin breaker "/admin/v1/breakers/$b/close?reason=chaos"
	nap "$HOLD"
	admin breaker "/admin/v1/breakers/$b/auto"
	flog breaker end "$b: auto"
}

fault_flush() {
	flog cache-flush begin "POST /admin/v1/cache/flush"
	admin cache-flush /admin/v1/cache/flush
	flog cache-flush end
}

fault_both() {
	flog redis+pg begin "kill -9 redis-server, pg_ctl stop -m fast"
	kill -KILL "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
	pg_stop fast || flog redis+pg error "pg_ctl stop failed"
	nap "$PG_DOWN"
	start_redis || flog redis+pg error "redis-server did not restart"
	pg_start || flog redis+pg error "pg_ctl start failed"
	flog redis+pg end "both restarted"
}

# psql_q SQL: one query's value, as the postgres user over TCP.
psql_q() {
	"$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$pg_port" -U postgres -d quant_chaos -c "$1"
}

# freeze LABEL PID...: SIGSTOP, the pids kept for the SIGCONT (and for exit).
freeze() {
	local label=$1
	shift
	kill -STOP "$@" || flog "$label" error "kill -STOP $* failed"
	frozen="$frozen $*"
}

thaw() {
	# shellcheck disable=SC2086 # the pids, one word each
	[[ -n $frozen ]] && { kill -CONT $frozen || flog "$1" error "kill -CONT$frozen failed"; }
	frozen=""
}

# fault_pg_hang: every PostgreSQL process stopped, the postmaster first so
# that it forks no backend meanwhile; quant's calls end at its statement
# timeout plus a second (client side), answered 503.
fault_pg_hang() {
	local pm kids
	pm=$(head -1 "$tmp/data/postmaster.pid")
	freeze pg-hang "$pm"
	kids=$(pgrep -P "$pm" | xargs)
	flog pg-hang begin "kill -STOP postmaster $pm and its $(wc -w <<<"$kids") children, for ${HANG}s"
	[[ -n $kids ]] && freeze pg-hang $kids
	nap "$HANG"
	thaw pg-hang
	flog pg-hang end "kill -CONT"
}

fault_redis_hang() {
	flog redis-hang begin "kill -STOP redis-server (pid $redis_pid), for ${HANG}s"
	freeze redis-hang "$redis_pid"
	nap "$HANG"
	thaw redis-hang
	flog redis-hang end "kill -CONT"
}

# fault_lock: a psql session takes the table lock every read of trades
# waits for (quant's lock_timeout answers 503), holds it, and ends.
fault_lock() {
	local p t
	flog lock begin "psql: LOCK TABLE trades IN ACCESS EXCLUSIVE MODE, held ${LOCK_HOLD}s"
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d quant_chaos \
		-c "BEGIN; LOCK TABLE trades IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($LOCK_HOLD); COMMIT;" >"$tmp/lock.out" 2>&1 &
	p=$!
	t=$(date +%s%3N)
	until [[ $(psql_q "SELECT count(*) FROM pg_locks WHERE relation = 'trades'::regclass AND mode = 'AccessExclusiveLock' AND granted" 2>/dev/null) == 1 ]]; do
		if ! kill -0 "$p" 2>/dev/null || (($(date +%s%3N) - t > 10000)); then
			flog lock error "the lock was not seen granted within 10 s: $(head -c 300 "$tmp/lock.out")"
			break
		fi
		sleep 0.1
	done
	flog lock step "granted after $(($(date +%s%3N) - t)) ms"
	wait "$p" || flog lock error "the psql session failed: $(head -c 300 "$tmp/lock.out")"
	flog lock end "released"
}

# fault_ingest_crash: bench/chaos ingest POSTs a generated file (new
# politicians and new filings every time: a seed and --skip-politicians of
# its own; one seed's files share filing ids, which would be replaced, not
# added) while this waits for its import in PostgreSQL (a session running a
# statement on the import's staging tables) and crashes PostgreSQL 0, 0.4
# or 0.8 s later, in turn, so that the crash hits the COPY or the
# statements after it; started again at once, the client repeats the POST
# and checks the trade count.
ningest=0
fault_ingest_crash() {
	local k=$((ningest++)) body records t seen=""
	body=$tmp/ingest-$k.csv
	"$BIN" gen --trades "$INGEST_TRADES" --politicians 40 --skip-politicians $((1000 + k * 40)) --seed $((16 + k)) -o "$body" 2>/dev/null ||
		{ flog ingest-crash error "quant gen failed"; return; }
	records=$("$BIN" import "$body" 2>&1 | sed -n 's/^.*: \([0-9]*\) records stored, .*/\1/p' | head -1)
	[[ -n $records ]] || { flog ingest-crash error "a dry run of quant import on $body did not count its records"; return; }
	flog ingest-crash begin "POST $records records ($(($(stat -c %s "$body") / 1000)) kB), pg_ctl stop -m immediate during the import"
	"$tmp/chaos" ingest -api "$API" -dir "$tmp" -body "$body" -records "$records" -token "$TOKEN" -n "$k" &
	ingest_pid=$!
	t=$(date +%s%3N)
	while kill -0 "$ingest_pid" 2>/dev/null && (($(date +%s%3N) - t < 30000)); do
		if [[ $(psql_q "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state <> 'idle' AND query ILIKE '%import_staging%'" 2>/dev/null) -gt 0 ]]; then
			seen=1
			break
		fi
		sleep 0.05
	done
	if [[ -n $seen ]]; then
		nap "0.$((k % 3 * 4))"
		pg_stop immediate || flog ingest-crash error "pg_ctl stop -m immediate failed"
		flog ingest-crash step "crashed $(($(date +%s%3N) - t)) ms after the POST, its import running"
	else
		flog ingest-crash error "the import was not seen running in PostgreSQL within 30 s of the POST; crashed anyway"
		pg_stop immediate || flog ingest-crash error "pg_ctl stop -m immediate failed"
	fi
	pg_start || flog ingest-crash error "pg_ctl start failed"
	flog ingest-crash step "PostgreSQL started"
	wait "$ingest_pid" || flog ingest-crash error "bench/chaos ingest failed (see its output)"
	ingest_pid=""
	flog ingest-crash end "$(tail -n 1 "$tmp/ingest.jsonl" 2>/dev/null | grep -q '"ok":true' && echo "stored once" || echo "NOT stored once")"
}

for t in "${types[@]}"; do
	declare -F "fault_$t" >/dev/null || die "CHAOS_FAULTS: no fault \"$t\" (one of: $(declare -F | sed -n 's/^declare -f fault_//p' | xargs))"
done

# ---- set up

tmp=$(mktemp -d "${TMPDIR:-/tmp}/quant-chaos.XXXXXX")
chmod 0755 "$tmp"
mkdir -p "$tmp/data" "$tmp/sock"
touch "$tmp/postgres.log" "$tmp/faults.tsv"
if [[ $(id -u) -eq 0 ]]; then
	id postgres >/dev/null 2>&1 || die "running as root and there is no postgres user to run PostgreSQL as"
	chown -R postgres: "$tmp/data" "$tmp/sock" "$tmp/postgres.log"
fi
chmod 0700 "$tmp/data"
{ sleep "$hard" & s=$!; trap 'kill $s 2>/dev/null; exit 0' TERM; wait $s; echo "chaos: hard time limit of ${hard}s reached" >&2; kill -TERM $$; } &
watchdog=$!

echo "chaos: $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); load average $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3); $("$BIN" version 2>/dev/null | head -1)" >&2
echo "chaos: load ${dur}s at ${HOT_RATE} hot + ${COLD_RATE} cold requests/s; a fault every ${interval}s; data: $CHAOS_DATA; temp dir $tmp" >&2

go build -o "$tmp/chaos" ./bench/chaos

pg_port=$(free_port)
redis_port=$(free_port)
as_pg "$PG_BIN/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log" >&2; die "initdb failed"; }
as_pg tee "$tmp/data/pg_hba.conf" >/dev/null <<'EOF'
host all all 127.0.0.1/32 trust
EOF
as_pg tee -a "$tmp/data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$tmp/sock'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
pg_start || { cat "$tmp/postgres.log" >&2; die "PostgreSQL did not start on 127.0.0.1:$pg_port"; }
start_redis || { cat "$tmp/redis.log" >&2; die "Redis did not start on 127.0.0.1:$redis_port"; }
"$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres quant_chaos
db="postgres://postgres@127.0.0.1:$pg_port/quant_chaos?sslmode=disable"
redis_url="redis://127.0.0.1:$redis_port/0"

if [[ $CHAOS_DATA == gen ]]; then
	"$BIN" gen -o "$tmp/synthetic.csv"
	CHAOS_DATA=$tmp/synthetic.csv
fi
"$BIN" import --database-url "$db" "$CHAOS_DATA" >"$tmp/import.txt" 2>&1 || { cat "$tmp/import.txt" >&2; die "import failed"; }

api_port=$(free_port)
admin_port=$(free_port)
API="http://127.0.0.1:$api_port"
ADMIN="http://127.0.0.1:$admin_port"
# Tighter bounds than the defaults (2 min queue wait, 1 min compute, 1 min
# open breaker) so that every refusal comes well inside the client's 30 s
# timeout and a tripped breaker probes again within the run.
"$BIN" serve --addr "127.0.0.1:$api_port" --admin-addr "127.0.0.1:$admin_port" \
	--database-url "$db" --redis-url "$redis_url" \
	--ml-max-wait 10s --network-max-wait 10s --compute-timeout 15s --breaker-open 15s \
	--ingest-token "$TOKEN" --shutdown-grace 5s --log-format json --log-level info >"$tmp/quant.log" 2>&1 &
quant_pid=$!
for _ in $(seq 1 300); do
	"$BIN" health --url "$API/readyz" >/dev/null 2>&1 && break
	kill -0 "$quant_pid" 2>/dev/null || die "quant serve exited at start"
	sleep 0.1
done
"$BIN" health --url "$API/readyz" >/dev/null 2>&1 || die "quant serve not ready after 30 s"
echo "chaos: quant (pid $quant_pid) on $API, admin $ADMIN; PostgreSQL 127.0.0.1:$pg_port, Redis 127.0.0.1:$redis_port" >&2

# RSS: one sample a second for as long as quant runs.
{ while [[ -r /proc/$quant_pid/status ]]; do
	kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$quant_pid/status" 2>/dev/null) && [[ -n $kb ]] &&
		printf '%s\t%s\n' "$(date +%s%3N)" "$kb" >>"$tmp/rss.tsv"
	sleep 1
done; } &
rss_pid=$!

"$tmp/chaos" warm -api "$API" -dir "$tmp"

# ---- load and faults

t0=$(date +%s%3N)
"$tmp/chaos" load -api "$API" -dir "$tmp" -duration "${dur}s" -hot-rate "$HOT_RATE" -cold-rate "$COLD_RATE" &
load_pid=$!
i=0
next=8
while ((next + 12 <= dur)); do
	wait_s=$((next - ($(date +%s%3N) - t0) / 1000))
	((wait_s > 0)) && nap "$wait_s"
	kill -0 "$load_pid" 2>/dev/null || die "the load driver exited early"
	"fault_${types[i % ${#types[@]}]}"
	i=$((i + 1))
	next=$((8 + i * interval))
done
echo "chaos: faults over ($i injected); waiting for the load to finish" >&2
wait "$load_pid" || die "the load driver failed"
load_pid=""

# ---- recovery, same quant process

"$tmp/chaos" settle -api "$API" -admin "$ADMIN" -dir "$tmp" -timeout 90s
"$tmp/chaos" verify -api "$API" -admin "$ADMIN" -dir "$tmp" -n 500
kill "$rss_pid" 2>/dev/null || true
rss_pid=""
kill -0 "$quant_pid" 2>/dev/null || die "quant exited during the run"

echo >&2
set +e
"$tmp/chaos" summary -dir "$tmp" -rss-limit-mb "$RSS_LIMIT_MB" | tee "$tmp/summary.md"
rc=${PIPESTATUS[0]}
set -e
echo
echo "Logs and reports: $OUT"
exit "$rc"
