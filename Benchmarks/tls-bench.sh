#!/usr/bin/env bash
# tls-bench.sh: flowtap `tls-listen → tls` against `socat OPENSSL-LISTEN → OPENSSL` on the same
# load, in one run (issue 15's benchmark rows).
#
#     bash Benchmarks/tls-bench.sh
#
# Installs socat, iperf3, redis-server and redis-tools if missing (apt-get, as root), builds
# flowtap in release, makes a test CA and a server certificate with openssl, then measures on
# 127.0.0.1, each forwarder terminating TLS from its client and originating TLS to the server:
#   - bulk throughput: iperf3 whose client and server are wrapped in TLS by socat
#     (iperf3 → socat TCP→OPENSSL → FORWARDER → socat OPENSSL→TCP → iperf3 -s); the wrappers
#     are the same for both forwarders;
#   - request/response: redis-benchmark --tls (ping, set, get), 1 client and 20 clients, through
#     the forwarder to redis-server --tls-port;
#   - handshake rate: `openssl s_time -new` (full handshakes a second) through the forwarder to
#     redis-server's TLS port: each connection is one handshake with the forwarder and one from
#     it to the server.
# Every figure is the median of $RUNS rounds taken in turns (socat, flowtap, socat, …). Prints a
# table with flowtap's ratio to socat and the targets (≥ 1.0× for throughput and requests, ≥ 0.8×
# for handshakes); raw outputs go to bench-results/<time>-tls/.
#
# Knobs (environment): RUNS (3), SECONDS_PER_RUN (4), REDIS_N (20000), FLOWTAP (a prebuilt
# binary: then nothing is built). Run it on a quiet machine: a shared, loaded one measures the
# other jobs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=free-port.sh
source "$ROOT/Benchmarks/free-port.sh"
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
REDIS_N=${REDIS_N:-20000}
HOST=127.0.0.1
OUT="$ROOT/bench-results/$(date +%Y%m%d-%H%M%S)-tls"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/tls-bench.XXXXXX)
STARTED=()

cleanup() {
    local pid
    for pid in "${STARTED[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for pid in "${STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

start() { # command… (own process group; sets LAST_PID)
    setsid "$@" >"${OUTFILE:-/dev/null}" 2>"${ERRFILE:-/dev/null}" &
    LAST_PID=$!
    STARTED+=("$LAST_PID")
}

stop() {
    kill -TERM -- "-$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

wait_listening() { # port
    local tries=0
    until [ -n "$(ss -Htln "sport = :$1")" ]; do
        tries=$((tries + 1))
        [ $tries -gt 150 ] && return 1
        sleep 0.1
    done
}

install_missing() {
    local missing=() tool
    for tool in socat:socat iperf3:iperf3 redis-server:redis-server redis-benchmark:redis-tools openssl:openssl; do
        command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
    fi
}

build() {
    if [ -n "${FLOWTAP:-}" ]; then return; fi
    log "building flowtap (release)"
    (cd "$ROOT" && swift build -c release --product flowtap >"$OUT/build.log" 2>&1)
    FLOWTAP="$(cd "$ROOT" && swift build -c release --show-bin-path)/flowtap"
}

certificates() {
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout "$WORK/ca.key" -out "$WORK/ca.pem" -days 2 -subj "/CN=bench CA" 2>/dev/null
    openssl req "${ec[@]}" -keyout "$WORK/server.key" -out "$WORK/server.csr" -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$WORK/san.ext"
    openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
        -out "$WORK/server.pem" -days 2 -extfile "$WORK/san.ext" 2>/dev/null
    # flowtap's CA for this run, and a certificate it signs for socat's listening side.
    FLOWTAP_CA="$WORK/flowtap-ca"
    "$FLOWTAP" ca --ca-dir "$FLOWTAP_CA" >/dev/null 2>&1
    openssl req "${ec[@]}" -keyout "$WORK/front.key" -out "$WORK/front.csr" -subj "/CN=localhost" 2>/dev/null
    openssl x509 -req -in "$WORK/front.csr" -CA "$FLOWTAP_CA/ca.pem" -CAkey "$FLOWTAP_CA/ca.key" \
        -CAcreateserial -out "$WORK/front.pem" -days 2 -extfile "$WORK/san.ext" 2>/dev/null
}

# A forwarder listening with TLS on a free port (FWD_PORT, FWD_PID) to the TLS server on $1.
start_forwarder() { # kind target-port
    FWD_PORT=$(free_port)
    case "$1" in
    socat)
        start socat -b 131072 \
            "OPENSSL-LISTEN:$FWD_PORT,bind=$HOST,reuseaddr,fork,cert=$WORK/front.pem,key=$WORK/front.key,verify=0" \
            "OPENSSL:$HOST:$2,cafile=$WORK/ca.pem,commonname=localhost"
        ;;
    flowtap)
        ERRFILE="$OUT/flowtap.stderr" start "$FLOWTAP" proxy "tls-listen:$HOST:$FWD_PORT" "tls:localhost:$2" \
            --tls-ca "$WORK/ca.pem" --ca-dir "$FLOWTAP_CA" --headless --decode none
        ;;
    esac
    FWD_PID=$LAST_PID
    wait_listening "$FWD_PORT"
}

declare -A V
add() { V[$1]="${V[$1]:-} $2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

main() {
    install_missing
    build
    certificates
    # The servers: iperf3 behind a TLS unwrapper, redis-server with a TLS port.
    local iperf_port unwrap_port redis_port
    iperf_port=$(free_port)
    start iperf3 -s -B "$HOST" -p "$iperf_port"
    wait_listening "$iperf_port"
    unwrap_port=$(free_port)
    start socat -b 131072 \
        "OPENSSL-LISTEN:$unwrap_port,bind=$HOST,reuseaddr,fork,cert=$WORK/server.pem,key=$WORK/server.key,verify=0" \
        "TCP:$HOST:$iperf_port"
    wait_listening "$unwrap_port"
    redis_port=$(free_port)
    start redis-server --port 0 --tls-port "$redis_port" --bind "$HOST" --tls-cert-file "$WORK/server.pem" \
        --tls-key-file "$WORK/server.key" --tls-ca-cert-file "$WORK/ca.pem" --tls-auth-clients no \
        --save "" --appendonly no
    wait_listening "$redis_port"

    local round kind wrap_port gbs rps
    for round in $(seq 1 "$RUNS"); do
        for kind in socat flowtap; do
            # bulk: iperf3 → TLS wrapper → forwarder → unwrapper → iperf3 -s
            start_forwarder "$kind" "$unwrap_port"
            local bulk_pid=$FWD_PID
            wrap_port=$(free_port)
            start socat -b 131072 "TCP-LISTEN:$wrap_port,bind=$HOST,reuseaddr,fork" \
                "OPENSSL:$HOST:$FWD_PORT,cafile=$FLOWTAP_CA/ca.pem,commonname=localhost"
            local wrap_pid=$LAST_PID
            wait_listening "$wrap_port"
            iperf3 -c "$HOST" -p "$wrap_port" -t "$SECONDS_PER_RUN" -J >"$OUT/iperf-$kind-$round.json" || true
            gbs=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(round(d["end"]["sum_received"]["bits_per_second"]/8e9, 3))' \
                "$OUT/iperf-$kind-$round.json" 2>/dev/null || echo 0)
            add "bulk-$kind" "$gbs"
            stop "$wrap_pid"
            stop "$bulk_pid"
            # request/response and handshakes, to redis-server's TLS port
            start_forwarder "$kind" "$redis_port"
            for clients in 1 20; do
                redis-benchmark --tls --cacert "$FLOWTAP_CA/ca.pem" --sni localhost -h "$HOST" -p "$FWD_PORT" \
                    -c "$clients" -n "$REDIS_N" -t ping,set,get --csv >"$OUT/redis-$kind-$clients-$round.csv" 2>&1 || true
                rps=$(awk -F'"' '/^"(PING_INLINE|PING_MBULK|SET|GET)"/ { s += $4; n++ } END { if (n) printf "%.0f", s / n; else print 0 }' \
                    "$OUT/redis-$kind-$clients-$round.csv")
                add "redis$clients-$kind" "$rps"
            done
            openssl s_time -connect "$HOST:$FWD_PORT" -new -time "$SECONDS_PER_RUN" -CAfile "$FLOWTAP_CA/ca.pem" \
                >"$OUT/s_time-$kind-$round.txt" 2>&1 || true
            local hs
            # "N connections in T real seconds, …": wall-clock handshakes a second.
            hs=$(awk '/connections in [0-9]+ real seconds/ { if ($4 > 0) printf "%.1f", $1 / $4; exit }' \
                "$OUT/s_time-$kind-$round.txt")
            add "handshake-$kind" "${hs:-0}"
            stop "$FWD_PID"
        done
    done

    {
        printf '%-34s %12s %12s %8s %8s\n' "row" "socat" "flowtap" "ratio" "target"
        local row unit target s f
        for row in "bulk:GB/s:1.0" "redis1:req/s:1.0" "redis20:req/s:1.0" "handshake:conn/s:0.8"; do
            IFS=: read -r key unit target <<<"$row"
            # shellcheck disable=SC2086
            s=$(median ${V[$key-socat]})
            # shellcheck disable=SC2086
            f=$(median ${V[$key-flowtap]})
            printf '%-34s %12s %12s %8s %8s\n' "$key ($unit)" "$s" "$f" \
                "$(awk -v a="$f" -v b="$s" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')" "≥ $target"
        done
    } | tee "$OUT/summary.txt"
}

main "$@"
