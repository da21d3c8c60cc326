#!/bin/bash
# callgrind-redis.sh: instructions per Redis request of a forwarder's whole process (every thread),
# counted by valgrind's callgrind: a measure that a loaded machine moves far less than time does.
#
#   bash Benchmarks/callgrind-redis.sh flowtap [BINARY]          # default: the release build
#   bash Benchmarks/callgrind-redis.sh bare [BINARY]             # bare-nio-proxy, the yardstick
#   FLOWTAP_ARGS="--decode none" bash Benchmarks/callgrind-redis.sh flowtap   # more flowtap options
#
# Starts redis-server on a free port, the forwarder under `valgrind --tool=callgrind` (flowtap as
# `proxy … --headless`, its log to /dev/null), warms up with 200 PINGs, zeroes the counters, runs
# `redis-benchmark -c 1 -n $N -t ping,set,get` (4 × N requests), dumps, and prints the
# instructions per request. The profile stays in $OUT (callgrind_annotate it; `--tree=caller`
# shows who calls what).
#
# Valgrind 3.19 (Debian 12) needs two work-arounds for Swift binaries, both applied here:
#   - it cannot read the DWARF 5 of a Swift build ("unhandled dwarf2 abbrev form"): the binary is
#     profiled from a copy without debug info (`strip -g`; the symbol table stays);
#   - it writes into the mask that sigsuspend is given, and libdispatch's (the async main's
#     `dispatch_main`) is read-only: valgrind dies of SIGSEGV. A preloaded sigsuspend copies the
#     mask first.
# Counts move by up to ~10% when the machine is very busy (more event-loop turns and wake-ups per
# request when each turn is slow): compare runs taken in the same conditions, or take several.
set -euo pipefail

KIND=${1:?usage: callgrind-redis.sh flowtap|bare [BINARY]}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-1000}
HOST=127.0.0.1
OUT=${OUT:-$(mktemp -d /tmp/callgrind-redis.XXXXXX)}

case $KIND in
    flowtap) PRODUCT=flowtap ;;
    bare) PRODUCT=bare-nio-proxy ;;
    *)
        echo "usage: callgrind-redis.sh flowtap|bare [BINARY]" >&2
        exit 2
        ;;
esac
if [ -n "${2:-}" ]; then
    BIN=$2
else
    (cd "$ROOT" && swift build -c release --product "$PRODUCT" >"$OUT/build.log" 2>&1)
    BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/$PRODUCT"
fi

# shellcheck source=Benchmarks/callgrind-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/callgrind-common.sh"
callgrind_binary "$BIN" "$PRODUCT"

REDIS_PORT=$(free_port)
redis-server --bind "$HOST" --port "$REDIS_PORT" --save '' --appendonly no >/dev/null 2>&1 &
PIDS+=($!)
FWD_PORT=$(free_port)
if [ "$KIND" = flowtap ]; then
    LD_PRELOAD="$OUT/sigshim.so" valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
        "$OUT/$PRODUCT" proxy "tcp-listen:$HOST:$FWD_PORT" "tcp:$HOST:$REDIS_PORT" --headless \
        ${FLOWTAP_ARGS:-} >/dev/null 2>"$OUT/valgrind.log" &
else
    LD_PRELOAD="$OUT/sigshim.so" valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
        "$OUT/$PRODUCT" "$FWD_PORT" "$HOST" "$REDIS_PORT" >/dev/null 2>"$OUT/valgrind.log" &
fi
VALGRIND=$!
PIDS+=("$VALGRIND")
for _ in $(seq 600); do
    if [ -n "$(ss -Htln "sport = :$FWD_PORT")" ]; then break; fi
    sleep 0.1
done
redis-benchmark -h "$HOST" -p "$FWD_PORT" -c 1 -n 200 -t ping >/dev/null 2>&1
callgrind_control -z "$VALGRIND" >/dev/null 2>&1
redis-benchmark -h "$HOST" -p "$FWD_PORT" -c 1 -n "$N" -t ping,set,get -q >"$OUT/redis-benchmark.txt" 2>&1
callgrind_control -d "$VALGRIND" >/dev/null 2>&1
sleep 1
total=$(awk '/^summary:/ { print $2 }' "$OUT/callgrind.out.1")
awk -v t="$total" -v n="$N" -v k="$KIND" 'BEGIN {
    printf "%s: %d instructions for %d requests: %.1fk per request\n", k, t, 4 * n, t / (4 * n) / 1000 }'
echo "profile: $OUT/callgrind.out.1"
