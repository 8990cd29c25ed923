# Sourced by the benchmark scripts that start servers: a temporary
# directory `$tmp`, the servers' `pids` (append each one started), both
# cleaned up on exit, and `free_port` (a free TCP port on 127.0.0.1).
tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
