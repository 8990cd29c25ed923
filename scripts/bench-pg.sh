#!/usr/bin/env bash
# The codec PostgreSQL client against tokio-postgres (benches/benches/pg_live.rs)
# on one PostgreSQL 15 started here: initdb into a temporary directory as
# the postgres user (installs Debian's postgresql-15 if missing), a free
# loopback port, trust authentication; stopped and removed at exit.
#
#     scripts/bench-pg.sh            # ROUNDS=10 by default; BENCH_TIMEOUT=600 s
#     BENCH_ROWS=copy CALIBRATE=1 ROUNDS=20 scripts/bench-pg.sh
#                                    # the COPY row only, 40 pairs, plus codec
#                                    # with/without its low-water mark and
#                                    # tokio-postgres against itself
#
# Prints three Markdown tables: wall-time medians of A-B-B-A rounds with the
# ratio codec/tokio-postgres and the paired ratios (median, 95 % interval,
# pairs codec won); each side's CPU time (getrusage) and voluntary context
# switches (wake-ups) per row or query; the /proc scheduler counters of the
# backend serving each side and of the client thread (see pg_live.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/postgres" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15
fi
dir=$(mktemp -d /tmp/bench-pg.XXXXXX)
chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
    setpriv --reuid=postgres --regid=postgres --init-groups "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
(cd "$dir" && setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bin/initdb" -D "$dir/data" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null)
(cd "$dir" && setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null)
echo "PostgreSQL 15 on 127.0.0.1:$port; $(nproc) cores; $(uname -r)"
# Build first, then run with a deadline: the five rows take about 30 s at
# ROUNDS=10 on the 2-core machine under a load of 4 (the COPY row most: 40
# copies of 1,000,000 rows); BENCH_TIMEOUT (seconds, default 600) stops a
# run that hangs, whatever the load.
cargo bench -p codec-benches --bench pg_live --no-run
PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres \
    timeout --kill-after=10 "${BENCH_TIMEOUT:-600}" \
    cargo bench -p codec-benches --bench pg_live
