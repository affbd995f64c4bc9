#!/usr/bin/env bash
# testenv.sh runs a command against private, throwaway PostgreSQL 15 and Redis
# servers: the test environment behind `make test`.
#
#   scripts/testenv.sh go test -race -shuffle=on -count=1 ./...
#
# It installs redis-server with apt-get when it is missing, starts both servers
# on free loopback ports with their data in a temporary directory, exports
#
#   QUANT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/quant_test?sslmode=disable
#   QUANT_TEST_REDIS_URL=redis://127.0.0.1:PORT/0
#
# runs the command, then stops both servers and removes the directory whatever
# happens. It exits with the command's status.
#
# PostgreSQL refuses to run as root, so when this script runs as root the
# server runs as the `postgres` user. Durability is switched off (fsync,
# synchronous_commit, full_page_writes): the data is thrown away anyway.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), TESTENV_TIMEOUT
# (seconds to wait for the servers, default 30).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
TIMEOUT=${TESTENV_TIMEOUT:-30}

log() { printf 'testenv: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

if [[ $# -eq 0 ]]; then
	echo "usage: $0 COMMAND [ARG...]" >&2
	exit 2
fi

tmp=""
redis_pid=""
pg_started=""
child=""

# as_pg runs a command as the user that owns the PostgreSQL server.
as_pg() {
	if [[ $(id -u) -ne 0 ]]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u postgres -- "$@"
	else
		su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
	fi
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $redis_pid ]]; then
		kill "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
	if [[ -n $pg_started ]]; then
		as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [[ -n $tmp ]]; then
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT

# on_signal passes a signal on to the command and waits for it, so that the
# servers outlive it; then the EXIT trap cleans up.
on_signal() {
	if [[ -n $child ]]; then
		kill -"$1" "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

# show_logs prints the servers' logs after a start failure.
show_logs() {
	local f
	for f in "$tmp"/postgres.log "$tmp"/initdb.log "$tmp"/redis.log; do
		if [[ -s $f ]]; then
			log "---- $f ----"
			cat "$f" >&2
		fi
	done
}

# port_in_use reports whether something accepts connections on 127.0.0.1:$1.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port prints a loopback port nothing listens on, other than $1.
free_port() {
	local avoid=${1:-0} p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if [[ $p -ne $avoid ]] && ! port_in_use "$p"; then
			echo "$p"
			return 0
		fi
	done
	die "no free loopback port found"
}

# 1. Redis: install when missing.
if ! command -v redis-server >/dev/null 2>&1; then
	log "redis-server not found; installing it with apt-get"
	sudo=""
	if [[ $(id -u) -ne 0 ]]; then
		sudo="sudo"
	fi
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >&2
	command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after apt-get install"
fi
[[ -x $PG_BIN/initdb ]] || die "PostgreSQL binaries not found in $PG_BIN (set PG_BIN)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/quant-testenv.XXXXXX")
chmod 0755 "$tmp"
mkdir -p "$tmp/data" "$tmp/sock"
if [[ $(id -u) -eq 0 ]]; then
	id postgres >/dev/null 2>&1 || die "running as root and there is no postgres user to run PostgreSQL as"
	chown -R postgres: "$tmp/data" "$tmp/sock"
	touch "$tmp/postgres.log" && chown postgres: "$tmp/postgres.log"
fi
chmod 0700 "$tmp/data"

pg_port=$(free_port)
redis_port=$(free_port "$pg_port")

# 2. PostgreSQL in a private data directory.
if ! as_pg "$PG_BIN/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$tmp/initdb.log" 2>&1; then
	show_logs
	die "initdb failed"
fi
as_pg tee "$tmp/data/pg_hba.conf" >/dev/null <<'EOF'
# testenv: trust on loopback TCP only.
host all all 127.0.0.1/32 trust
EOF
as_pg tee -a "$tmp/data/postgresql.conf" >/dev/null <<EOF
# testenv
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$tmp/sock'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
max_wal_size = 4GB
EOF
if ! as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -l "$tmp/postgres.log" -w -t "$TIMEOUT" start >/dev/null 2>&1; then
	show_logs
	die "PostgreSQL did not start on 127.0.0.1:$pg_port"
fi
pg_started=1

# 3. Redis, in the background, without persistence.
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
	--daemonize no --dir "$tmp" --logfile "$tmp/redis.log" </dev/null >/dev/null 2>&1 &
redis_pid=$!

# 4. Wait until both answer.
pg_ok="" redis_ok=""
for ((i = 0; i < TIMEOUT * 10; i++)); do
	if [[ -z $pg_ok ]] && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U postgres; then
		pg_ok=1
	fi
	if [[ -z $redis_ok ]] && [[ $(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null) == PONG ]]; then
		redis_ok=1
	fi
	if [[ -n $pg_ok && -n $redis_ok ]]; then
		break
	fi
	if ! kill -0 "$redis_pid" 2>/dev/null; then
		break
	fi
	sleep 0.1
done
if [[ -z $pg_ok || -z $redis_ok ]]; then
	show_logs
	[[ -n $pg_ok ]] || log "PostgreSQL on 127.0.0.1:$pg_port did not answer pg_isready within ${TIMEOUT}s"
	[[ -n $redis_ok ]] || log "Redis on 127.0.0.1:$redis_port did not answer PING within ${TIMEOUT}s"
	exit 1
fi

if ! "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres quant_test 2>"$tmp/createdb.log"; then
	cat "$tmp/createdb.log" >&2
	die "createdb quant_test failed"
fi

# 5. Run the command.
export QUANT_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/quant_test?sslmode=disable"
export QUANT_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
log "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"
# The command runs in the background so that a signal to this script is
# handled at once (bash defers traps while a foreground command runs); fd 3
# hands it our stdin, which a background command would otherwise lose.
exec 3<&0
"$@" <&3 3<&- &
child=$!
set +e
wait "$child"
rc=$?
set -e
child=""
exit "$rc"
