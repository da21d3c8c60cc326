#!/bin/bash
# callgrind-tls.sh: instructions of flowtap's whole process (every thread), counted by valgrind's
# callgrind, for the two rows of issues 15 and 16 that are measured per operation:
#
#   bash Benchmarks/callgrind-tls.sh tls [BINARY]       # per Redis request, tls-listen → tls
#   bash Benchmarks/callgrind-tls.sh socks5 [BINARY]    # per connection through socks5-listen
#   bash Benchmarks/callgrind-tls.sh tcp [BINARY]       # per connection through tcp-listen
#   FLOWTAP_ARGS="--decode auto" bash Benchmarks/callgrind-tls.sh tls   # other flowtap options
#
# tls: redis-server on a TLS port (certificates made here with openssl), flowtap as
# `tls-listen:… tls:localhost:PORT --tls-ca … --headless`, warm-up with 200 PINGs, counters
# zeroed, then `redis-benchmark --tls -c 1 -n $N -t ping,set,get` (4 × N requests on 4
# connections: the 4 handshakes of each leg are counted too, a constant cost ~1-2% at N=2000).
#
# socks5 / tcp: a Python client opens $N connections one after the other (the connection-rate
# row of proxy-listen-bench.sh): each sends 16 bytes to an echo server through flowtap and reads
# them back, then closes; for socks5 it speaks the SOCKS5 handshake first (one greeting and
# request in one write, as proxychains and curl do). Compare socks5 with tcp in the same
# conditions: their ratio is the per-connection overhead of the proxy listener.
#
# Defaults: N=2000 (tls), N=500 (socks5, tcp); FLOWTAP_ARGS="--decode none" as the wall-clock
# benchmarks use. The binary is profiled from a stripped copy with a sigsuspend shim (see
# callgrind-redis.sh for why). The profile stays in $OUT; callgrind_annotate it.
set -euo pipefail

MODE=${1:?usage: callgrind-tls.sh tls|socks5|tcp [BINARY]}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOST=127.0.0.1
OUT=${OUT:-$(mktemp -d /tmp/callgrind-tls.XXXXXX)}
FLOWTAP_ARGS=${FLOWTAP_ARGS:---decode none}
case $MODE in
    tls) N=${N:-2000} ;;
    socks5 | tcp) N=${N:-500} ;;
    *)
        echo "usage: callgrind-tls.sh tls|socks5|tcp [BINARY]" >&2
        exit 2
        ;;
esac

if [ -n "${2:-}" ]; then
    BIN=$2
else
    (cd "$ROOT" && swift build -c release --product flowtap >"$OUT/build.log" 2>&1)
    BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/flowtap"
fi
# shellcheck source=Benchmarks/callgrind-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/callgrind-common.sh"
callgrind_binary "$BIN" flowtap

wait_listening() {
    for _ in $(seq 600); do
        if [ -n "$(ss -Htln "sport = :$1")" ]; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on $1" >&2
    return 1
}

# flowtap under callgrind: run_flowtap LISTEN [TARGET] [ARGS…]
run_flowtap() {
    # shellcheck disable=SC2086
    LD_PRELOAD="$OUT/sigshim.so" valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
        "$OUT/flowtap" proxy "$@" --headless $FLOWTAP_ARGS >/dev/null 2>"$OUT/valgrind.log" &
    VALGRIND=$!
    PIDS+=("$VALGRIND")
}

FWD_PORT=$(free_port)
case $MODE in
    tls)
        ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
        openssl req -x509 "${ec[@]}" -keyout "$OUT/ca.key" -out "$OUT/ca.pem" -days 2 -subj "/CN=bench CA" 2>/dev/null
        openssl req "${ec[@]}" -keyout "$OUT/server.key" -out "$OUT/server.csr" -subj "/CN=localhost" 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$OUT/san.ext"
        openssl x509 -req -in "$OUT/server.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca.key" -CAcreateserial \
            -out "$OUT/server.pem" -days 2 -extfile "$OUT/san.ext" 2>/dev/null
        "$OUT/flowtap" ca --ca-dir "$OUT/flowtap-ca" >/dev/null 2>&1
        REDIS_PORT=$(free_port)
        redis-server --port 0 --tls-port "$REDIS_PORT" --bind "$HOST" --tls-cert-file "$OUT/server.pem" \
            --tls-key-file "$OUT/server.key" --tls-ca-cert-file "$OUT/ca.pem" --tls-auth-clients no \
            --save '' --appendonly no >/dev/null 2>&1 &
        PIDS+=($!)
        wait_listening "$REDIS_PORT"
        run_flowtap "tls-listen:$HOST:$FWD_PORT" "tls:localhost:$REDIS_PORT" --tls-ca "$OUT/ca.pem" \
            --ca-dir "$OUT/flowtap-ca"
        wait_listening "$FWD_PORT"
        TLSARGS=(--tls --cacert "$OUT/flowtap-ca/ca.pem" --sni localhost -h "$HOST" -p "$FWD_PORT")
        redis-benchmark "${TLSARGS[@]}" -c 1 -n 200 -t ping >/dev/null 2>&1
        callgrind_control -z "$VALGRIND" >/dev/null 2>&1
        redis-benchmark "${TLSARGS[@]}" -c 1 -n "$N" -t ping,set,get -q >"$OUT/redis-benchmark.txt" 2>&1
        OPS=$((4 * N))
        UNIT=request
        ;;
    socks5 | tcp)
        ECHO_PORT=$(free_port)
        python3 "$ROOT/Benchmarks/echo-server.py" "$ECHO_PORT" >/dev/null 2>&1 &
        PIDS+=($!)
        wait_listening "$ECHO_PORT"
        if [ "$MODE" = socks5 ]; then
            run_flowtap "socks5-listen:$HOST:$FWD_PORT"
        else
            run_flowtap "tcp-listen:$HOST:$FWD_PORT" "tcp:$HOST:$ECHO_PORT"
        fi
        wait_listening "$FWD_PORT"
        python3 "$ROOT/Benchmarks/connection-rate.py" "$MODE" "$FWD_PORT" "$ECHO_PORT" 50 >/dev/null
        # Sessions end asynchronously after the client's close: let the warm-up's finish.
        sleep 2
        callgrind_control -z "$VALGRIND" >/dev/null 2>&1
        python3 "$ROOT/Benchmarks/connection-rate.py" "$MODE" "$FWD_PORT" "$ECHO_PORT" "$N" >/dev/null
        sleep 2
        OPS=$N
        UNIT=connection
        ;;
esac
callgrind_control -d "$VALGRIND" >/dev/null 2>&1
sleep 1
total=$(awk '/^summary:/ { print $2 }' "$OUT/callgrind.out.1")
awk -v t="$total" -v n="$OPS" -v m="$MODE" -v u="$UNIT" 'BEGIN {
    printf "%s: %d instructions for %d %ss: %.1fk per %s\n", m, t, n, u, t / n / 1000, u }'
echo "profile: $OUT/callgrind.out.1"
