# Shared by the bench scripts (source it): process bookkeeping and ports.

pids=()
# cleanup stops every process the script started.
# It waits for those processes only: a bare `wait` would also wait for a
# process substitution such as the tee of `exec > >(tee FILE)`.
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}

# free_port prints a loopback port nothing listens on, below the ephemeral
# range (32768-60999) that the bursts' client sockets use.
free_port() {
	local p
	while :; do
		p=$((15000 + RANDOM % 15000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
