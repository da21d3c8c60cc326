#!/usr/bin/env bash
# proxy-listen-bench.sh: socks5-listen: against tcp-listen: on the same load, in one run (issue 16).
#
#     bash Benchmarks/proxy-listen-bench.sh
#
# Builds flowtap in release (unless FLOWTAP names a binary), then measures on 127.0.0.1:
#   - bulk throughput: iperf3 through `flowtap tcp-listen:P tcp:127.0.0.1:IPERF` against iperf3
#     under proxychains4 through `flowtap socks5-listen:P` (the SOCKS5 handshake per connection,
#     then the same forwarding) — target ≥ 0.95×;
#   - connection rate: sessions per second of a client that opens N connections one after the
#     other, each sending 16 bytes and reading them back from an echo server, through
#     tcp-listen: against socks5-listen: (the client speaks SOCKS5 itself) — target ≥ 0.9×.
# flowtap runs headless with --decode none, output to /dev/null. Every figure is the median of
# $RUNS rounds taken in turns (tcp-listen, socks5-listen, tcp-listen, …). Run it on a quiet
# machine: the figures of a shared one say little. Raw outputs in bench-results/<time>/.
#
# Knobs (environment): RUNS (3), SECONDS_PER_RUN (4), CONNECTIONS (2000), FLOWTAP (a prebuilt
# binary). Needs iperf3, proxychains4 and python3 (apt-get install iperf3 proxychains4).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
CONNECTIONS=${CONNECTIONS:-2000}
HOST=127.0.0.1
OUT="$ROOT/bench-results/proxy-listen-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/proxy-listen-bench.XXXXXX)
# shellcheck source=Benchmarks/free-port.sh
source "$ROOT/Benchmarks/free-port.sh"

STARTED=()
cleanup() {
    local pid
    for pid in "${STARTED[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in iperf3 proxychains4 python3; do
    command -v "$tool" >/dev/null || { echo "proxy-listen-bench: $tool is missing (apt-get install iperf3 proxychains4)" >&2; exit 1; }
done

if [ -z "${FLOWTAP:-}" ]; then
    echo "building flowtap (release)…"
    swift build -c release --product flowtap --package-path "$ROOT" >"$OUT/build.log" 2>&1
    FLOWTAP="$(swift build -c release --package-path "$ROOT" --show-bin-path)/flowtap"
fi

# start NAME COMMAND…: runs COMMAND in a process group of its own, output in $OUT/NAME.log.
start() {
    local name=$1
    shift
    setsid "$@" >"$OUT/$name.log" 2>&1 &
    STARTED+=($!)
    LAST=$!
}
stop_last() {
    kill -- "-$LAST" 2>/dev/null || true
    wait "$LAST" 2>/dev/null || true
}
wait_listen() {
    local port=$1 tries=0
    until ss -Htln "sport = :$port" | grep -q .; do
        tries=$((tries + 1))
        # 30 s: a debug build on a loaded machine takes seconds to start.
        [ "$tries" -lt 3000 ] || { echo "nothing listens on $port (logs in $OUT)" >&2; exit 1; }
        sleep 0.01
    done
}

IPERF_PORT=$(free_port)
start iperf3-server iperf3 -s -B "$HOST" -p "$IPERF_PORT"
wait_listen "$IPERF_PORT"

# The echo server and the connection-rate client, in Python (the same client cost both ways).
ECHO_PORT=$(free_port)
start echo python3 "$ROOT/Benchmarks/echo-server.py" "$ECHO_PORT"
wait_listen "$ECHO_PORT"

# listening_port NAME: the port flowtap (started as NAME, on port 0) printed it listens on.
listening_port() {
    local tries=0 port
    until port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\)$/\1/p' "$OUT/$1.log" | head -1) && [ -n "$port" ]; do
        tries=$((tries + 1))
        [ "$tries" -lt 3000 ] || { echo "$1 never listened (logs in $OUT)" >&2; exit 1; }
        sleep 0.01
    done
    echo "$port"
}

# One round of one forwarder: prints "GB/s sessions/s".
round() {
    local kind=$1 port bps rate
    # Port 0, read back from flowtap's first line: no race with other programs for a port.
    if [ "$kind" = tcp ]; then
        start "flowtap-tcp-iperf" "$FLOWTAP" "tcp-listen:$HOST:0" "tcp:$HOST:$IPERF_PORT" --headless --decode none
        port=$(listening_port flowtap-tcp-iperf)
        iperf3 -c "$HOST" -p "$port" -t "$SECONDS_PER_RUN" -J >"$WORK/iperf.json"
        stop_last
        start "flowtap-tcp-rate" "$FLOWTAP" "tcp-listen:$HOST:0" "tcp:$HOST:$ECHO_PORT" --headless --decode none
        port=$(listening_port flowtap-tcp-rate)
        rate=$(python3 "$ROOT/Benchmarks/connection-rate.py" tcp "$port" "$ECHO_PORT" "$CONNECTIONS")
        stop_last
    else
        start "flowtap-socks5" "$FLOWTAP" "socks5-listen:$HOST:0" --headless --decode none
        port=$(listening_port flowtap-socks5)
        printf 'strict_chain\nquiet_mode\n[ProxyList]\nsocks5 %s %s\n' "$HOST" "$port" >"$WORK/proxychains.conf"
        proxychains4 -q -f "$WORK/proxychains.conf" iperf3 -c "$HOST" -p "$IPERF_PORT" -t "$SECONDS_PER_RUN" -J \
            >"$WORK/iperf.json"
        rate=$(python3 "$ROOT/Benchmarks/connection-rate.py" socks5 "$port" "$ECHO_PORT" "$CONNECTIONS")
        stop_last
    fi
    bps=$(python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 8e9))' "$WORK/iperf.json")
    cp "$WORK/iperf.json" "$OUT/iperf-$kind-$(date +%s%N).json"
    echo "$bps $rate"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a TCP_BW TCP_RATE SOCKS_BW SOCKS_RATE
for ((i = 1; i <= RUNS; i++)); do
    read -r bw rate < <(round tcp)
    TCP_BW+=("$bw"); TCP_RATE+=("$rate")
    read -r bw rate < <(round socks5)
    SOCKS_BW+=("$bw"); SOCKS_RATE+=("$rate")
    echo "round $i: tcp-listen ${TCP_BW[-1]} GB/s ${TCP_RATE[-1]} sessions/s; socks5-listen ${SOCKS_BW[-1]} GB/s ${SOCKS_RATE[-1]} sessions/s"
done

tcp_bw=$(printf '%s\n' "${TCP_BW[@]}" | median)
socks_bw=$(printf '%s\n' "${SOCKS_BW[@]}" | median)
tcp_rate=$(printf '%s\n' "${TCP_RATE[@]}" | median)
socks_rate=$(printf '%s\n' "${SOCKS_RATE[@]}" | median)
{
    echo "proxy-listen-bench: median of $RUNS rounds, $(nproc) cores, $(date -u +%FT%TZ)"
    printf '%-34s %12s %12s %8s %8s\n' "" "tcp-listen" "socks5" "ratio" "target"
    python3 - "$tcp_bw" "$socks_bw" "$tcp_rate" "$socks_rate" <<'PY'
import sys
tb, sb, tr, sr = map(float, sys.argv[1:])
for name, t, s, target, unit in (("iperf3 throughput (GB/s)", tb, sb, 0.95, ""), ("connection rate (sessions/s)", tr, sr, 0.90, "")):
    ratio = s / t if t else 0
    print("%-34s %12.3f %12.3f %7.2fx %7.2fx %s" % (name, t, s, ratio, target, "PASS" if ratio >= target else "FAIL"))
PY
} | tee "$OUT/summary.txt"
