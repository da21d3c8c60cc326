#!/usr/bin/env bash
# proxy-bench.sh: flowtap against socat on the same load, in one run (DESIGN.md §8).
#
#     bash Benchmarks/proxy-bench.sh
#
# Installs iperf3, socat, redis-server and redis-tools if missing (apt-get, as root), builds flowtap
# in release, then measures on 127.0.0.1:
#   - iperf3 throughput: direct, through `socat -b 131072`, through plain socat (8 KiB buffers),
#     through `flowtap --headless` (output to /dev/null), and the same with a capture (`-w`);
#   - redis-benchmark (ping, set, get) with 20 clients (requests/s) and with 1 client (requests/s
#     and p50 latency): direct, through both socats, through flowtap;
#   - flowtap's peak RSS (VmHWM) after forwarding a large volume (`iperf3 -n 4G`).
# Each figure is the best of $RUNS runs, taken in turns (all forwarders, then again). Prints a table
# with the ratios flowtap/socat and the targets of DESIGN.md §8, and keeps the raw outputs in
# bench-results/<time>/.
#
# Knobs (environment): RUNS (2), SECONDS_PER_RUN (4), REDIS_N (40000), REDIS_N1 (10000),
# RSS_VOLUME (4G), CAPTURE_DIR (where `-w` writes, default a directory under /tmp; /dev/shm takes
# the disk out of the figure), FLOWTAP (a prebuilt binary: skips the build), FLOWTAP_STANDIN=socat
# (run `socat -b 131072` in flowtap's place, to test this script without the CLI).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-2}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
REDIS_N=${REDIS_N:-40000}
REDIS_N1=${REDIS_N1:-10000}
RSS_VOLUME=${RSS_VOLUME:-4G}
FLOWTAP_STANDIN=${FLOWTAP_STANDIN:-}
HOST=127.0.0.1

OUT="$ROOT/bench-results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/proxy-bench.XXXXXX)
CAPTURE="$(mktemp -d "${CAPTURE_DIR:-$WORK}/proxy-bench-capture.XXXXXX")/bench.pcapng"
SUMMARY="$OUT/summary.txt"

# Every process this script starts runs in its own process group (setsid), recorded here, so
# that cleanup ends exactly those groups (socat's forked children included) and nothing else.
STARTED=()

cleanup() {
    tmux -L "$UI_TMUX" kill-server 2>/dev/null || true
    local pid
    for pid in "${STARTED[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    for pid in "${STARTED[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK" "$(dirname "$CAPTURE")"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# MARK: setup

install_missing() {
    local missing=() tool package
    for tool in iperf3:iperf3 socat:socat redis-server:redis-server redis-benchmark:redis-tools; do
        command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
    done
    command -v ss >/dev/null || missing+=(iproute2)
    if [ ${#missing[@]} -eq 0 ]; then return 0; fi
    if [ "$(id -u)" -ne 0 ]; then
        log "missing: ${missing[*]}; run as root or install them: apt-get install -y ${missing[*]}"
        exit 1
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
    # The package starts a system redis-server; this script runs its own on a free port.
}

build_flowtap() {
    if [ -n "${FLOWTAP:-}" ]; then return 0; fi
    log "building flowtap (release)…"
    (cd "$ROOT" && swift build -c release --product flowtap >"$OUT/build.log" 2>&1) || {
        tail -20 "$OUT/build.log" >&2
        exit 1
    }
    FLOWTAP="$(cd "$ROOT" && swift build -c release --show-bin-path)/flowtap"
}

# A random TCP port nobody listens on now.
free_port() {
    local port
    while true; do
        port=$((20000 + RANDOM % 40000))
        if [ -z "$(ss -Htln "sport = :$port")" ]; then
            echo "$port"
            return
        fi
    done
}

# Waits until something listens on $1 (without connecting to it). Fails after 15 s.
wait_listening() {
    local port=$1 tries=0
    until [ -n "$(ss -Htln "sport = :$port")" ]; do
        tries=$((tries + 1))
        if [ $tries -gt 150 ]; then return 1; fi
        sleep 0.1
    done
}

# Starts "$@" in its own process group, stdout to $OUTFILE and stderr to $ERRFILE (both default
# to /dev/null); sets LAST_PID.
start() {
    setsid "$@" >"${OUTFILE:-/dev/null}" 2>"${ERRFILE:-/dev/null}" &
    LAST_PID=$!
    STARTED+=("$LAST_PID")
}

stop() {
    kill -TERM -- "-$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# MARK: forwarders
# Each start_* takes the target port, starts a forwarder on a free port, and sets FWD_PORT and
# FWD_PID. Stop it with `stop "$FWD_PID"`.

start_socat() { # target-port [socat options…]
    local target=$1
    shift
    FWD_PORT=$(free_port)
    start socat "$@" "TCP-LISTEN:$FWD_PORT,fork,reuseaddr,bind=$HOST" "TCP:$HOST:$target"
    FWD_PID=$LAST_PID
    wait_listening "$FWD_PORT"
}

start_flowtap() { # target-port [flowtap options…]
    local target=$1
    shift
    FWD_PORT=$(free_port)
    if [ "$FLOWTAP_STANDIN" = socat ]; then
        start socat -b 131072 "TCP-LISTEN:$FWD_PORT,fork,reuseaddr,bind=$HOST" "TCP:$HOST:$target"
    else
        ERRFILE="$WORK/flowtap.stderr" start "$FLOWTAP" proxy "tcp-listen:$HOST:$FWD_PORT" \
            "tcp:$HOST:$target" --headless "$@"
    fi
    FWD_PID=$LAST_PID
    if ! wait_listening "$FWD_PORT"; then
        log "flowtap did not listen on $FWD_PORT:"
        cat "$WORK/flowtap.stderr" >&2 2>/dev/null || true
        stop "$FWD_PID"
        return 1
    fi
}

# The "UI open" row (DESIGN.md §8: ≥ 0.9× headless): flowtap with its curses UI drawing live, in
# a detached 120x40 tmux session of a tmux server of its own, forwarding to port $1.
UI_TMUX="flowtap-bench-$$"
start_flowtap_ui() { # target-port
    local target=$1
    [ "$FLOWTAP_STANDIN" = socat ] && return 1
    command -v tmux >/dev/null 2>&1 || return 1
    FWD_PORT=$(free_port)
    tmux -L "$UI_TMUX" -f /dev/null new-session -d -x 120 -y 40 \
        "LANG=C.UTF-8 $FLOWTAP proxy tcp-listen:$HOST:$FWD_PORT tcp:$HOST:$target" || return 1
    FWD_PID=$(tmux -L "$UI_TMUX" list-panes -F '#{pane_pid}' | head -n 1)
    if ! wait_listening "$FWD_PORT"; then
        log "flowtap (UI) did not listen on $FWD_PORT"
        tmux -L "$UI_TMUX" kill-server 2>/dev/null || true
        return 1
    fi
}

# MARK: measurements

# iperf3 throughput in GB/s (10^9 bytes/s, receiver side) to port $1; raw output to $2.
iperf_gbs() {
    local port=$1 raw=$2
    iperf3 -c "$HOST" -p "$port" -t "$SECONDS_PER_RUN" -f k >"$raw" 2>&1 || {
        log "iperf3 failed, see $raw"
        echo 0
        return
    }
    awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Kbits/sec") r = $(i - 1) }
         END { printf "%.3f\n", r * 1000 / 8 / 1e9 }' "$raw"
}

# redis-benchmark over ping, set, get on port $1 with $2 clients and $3 requests; raw CSV to $4.
# Prints "RPS P50": the mean requests/s of the tests and the mean of their p50 latencies (ms).
redis_run() {
    local port=$1 clients=$2 requests=$3 raw=$4
    timeout 120 redis-benchmark -h "$HOST" -p "$port" -t ping,set,get -c "$clients" -n "$requests" \
        --csv >"$raw" 2>&1 || {
        log "redis-benchmark failed, see $raw"
        echo "0 0"
        return
    }
    awk -F'","' 'NR > 1 { n++; rps += $2; p50 += $5 }
                 END { if (n) printf "%.0f %.3f\n", rps / n, p50 / n; else print "0 0" }' \
        <(tr -d '\r' <"$raw")
}

# Results, by key; printed at the end. V[key] collects the runs' values, R[key] the best.
declare -A R V

add() { V[$1]="${V[$1]:-} $2"; }
best_max() { printf '%s\n' $1 | sort -g | tail -1; }
best_min() { printf '%s\n' $1 | sort -g | head -1; }

# One iperf3 test to port $2, kept under key $1.
measure_iperf() { # key port run
    add "$1" "$(iperf_gbs "$2" "$OUT/iperf-$1-$3.txt")"
}

# One redis-benchmark with 20 clients and one with 1 client to port $2: keys $1.rps20, $1.rps1,
# $1.p50.
measure_redis() { # key port run
    local line
    line=$(redis_run "$2" 20 "$REDIS_N" "$OUT/redis-$1-c20-$3.csv")
    add "$1.rps20" "${line% *}"
    line=$(redis_run "$2" 1 "$REDIS_N1" "$OUT/redis-$1-c1-$3.csv")
    add "$1.rps1" "${line% *}"
    add "$1.p50" "${line#* }"
}

# Forwarders to one target port: starts socat -b 131072, socat (8K), flowtap and (with-ui = 1)
# the UI hook, each on its own port; fills PORT[key] and PID[key] for those that started.
declare -A PORT PID
start_forwarders() { # target-port with-ui(0/1)
    local target=$1 ui=$2
    PORT=() PID=()
    start_socat "$target" -b 131072 && PORT[socat128k]=$FWD_PORT PID[socat128k]=$FWD_PID
    start_socat "$target" && PORT[socat8k]=$FWD_PORT PID[socat8k]=$FWD_PID
    if [ $FLOWTAP_OK = 1 ] && start_flowtap "$target"; then
        PORT[flowtap]=$FWD_PORT PID[flowtap]=$FWD_PID
    else
        FLOWTAP_OK=0
    fi
    if [ "$ui" = 1 ] && start_flowtap_ui "$target"; then
        PORT[ui]=$FWD_PORT PID[ui]=$FWD_PID
    fi
}

stop_forwarders() {
    local key
    for key in "${!PID[@]}"; do stop "${PID[$key]}"; done
}

# One iperf3 run through a fresh `flowtap -w FILE`; the capture is deleted after (it holds every
# byte forwarded).
measure_capture() { # run
    if [ $FLOWTAP_OK = 1 ] && start_flowtap "$IPERF_PORT" -w "$CAPTURE"; then
        measure_iperf capture "$FWD_PORT" "$1"
        stop "$FWD_PID"
        ls -l "$CAPTURE" >>"$OUT/capture-files.txt" 2>&1 || true
        rm -f "$CAPTURE"
    fi
}

# MARK: run

install_missing
build_flowtap
if [ "$FLOWTAP_STANDIN" = socat ]; then
    log "FLOWTAP_STANDIN=socat: the flowtap rows measure socat -b 131072, not flowtap"
fi
FLOWTAP_OK=1

{
    echo "date: $(date -Is)"
    echo "host: $(uname -srm), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "flowtap: ${FLOWTAP_STANDIN:+stand-in }${FLOWTAP_STANDIN:-$FLOWTAP}; -w writes to $CAPTURE"
    echo "iperf3 -t $SECONDS_PER_RUN; redis-benchmark -t ping,set,get -c 20 -n $REDIS_N and -c 1 -n $REDIS_N1"
    echo "(figures: mean over PING_INLINE, PING_MBULK, SET, GET); best of $RUNS runs, taken in turns"
} >"$OUT/setup.txt"

# The runs go in turns (direct, socat, socat 8K, flowtap, … then again), so that a slow moment
# of this shared machine does not fall on one forwarder only.
IPERF_KEYS="direct socat128k socat8k flowtap capture ui"
IPERF_PORT=$(free_port)
OUTFILE="$OUT/iperf3-server.log" start iperf3 -s -B "$HOST" -p "$IPERF_PORT"
IPERF_PID=$LAST_PID
wait_listening "$IPERF_PORT"
start_forwarders "$IPERF_PORT" 1
PORT[direct]=$IPERF_PORT
log "iperf3 ($SECONDS_PER_RUN s per run, best of $RUNS)"
for run in $(seq "$RUNS"); do
    for key in $IPERF_KEYS; do
        if [ "$key" = capture ]; then
            measure_capture "$run"
        elif [ -n "${PORT[$key]:-}" ]; then
            measure_iperf "$key" "${PORT[$key]}" "$run"
        fi
    done
done
# The long-lived headless flowtap's peak after all the iperf3 runs.
if [ -n "${PID[flowtap]:-}" ]; then
    R[rss.after]=$(awk '/VmHWM/ { printf "%.1f\n", $2 / 1024 }' "/proc/${PID[flowtap]}/status" \
        2>/dev/null || true)
fi
stop_forwarders
for key in $IPERF_KEYS; do
    if [ -n "${V[$key]:-}" ]; then
        R[$key]=$(best_max "${V[$key]}")
        log "  iperf3 $key:${V[$key]} GB/s → best ${R[$key]}"
    fi
done

# Peak RSS of a fresh flowtap forwarding one large transfer.
if [ $FLOWTAP_OK = 1 ] && start_flowtap "$IPERF_PORT"; then
    log "flowtap peak RSS while forwarding $RSS_VOLUME"
    iperf3 -c "$HOST" -p "$FWD_PORT" -n "$RSS_VOLUME" -f k >"$OUT/iperf-rss.txt" 2>&1 || true
    R[rss]=$(awk '/VmHWM/ { printf "%.1f\n", $2 / 1024 }' "/proc/$FWD_PID/status" 2>/dev/null || true)
    R[rss.gbs]=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Kbits/sec") r = $(i - 1) }
                      END { printf "%.3f\n", r * 1000 / 8 / 1e9 }' "$OUT/iperf-rss.txt")
    grep -E 'VmHWM|VmRSS' "/proc/$FWD_PID/status" >"$OUT/flowtap-rss.txt" 2>/dev/null || true
    stop "$FWD_PID"
    log "  VmHWM ${R[rss]:-?} MiB (at ${R[rss.gbs]} GB/s)"
fi
stop "$IPERF_PID"

REDIS_KEYS="direct socat128k socat8k flowtap"
REDIS_PORT=$(free_port)
OUTFILE="$OUT/redis-server.log" start redis-server --bind "$HOST" --port "$REDIS_PORT" --save '' \
    --appendonly no
REDIS_PID=$LAST_PID
wait_listening "$REDIS_PORT"
start_forwarders "$REDIS_PORT" 0
PORT[direct]=$REDIS_PORT
log "redis-benchmark (c20 -n $REDIS_N, c1 -n $REDIS_N1, best of $RUNS)"
for run in $(seq "$RUNS"); do
    for key in $REDIS_KEYS; do
        if [ -n "${PORT[$key]:-}" ]; then measure_redis "$key" "${PORT[$key]}" "$run"; fi
    done
done
stop_forwarders
stop "$REDIS_PID"
for key in $REDIS_KEYS; do
    if [ -n "${V[$key.rps20]:-}" ]; then
        R[$key.rps20]=$(best_max "${V[$key.rps20]}")
        R[$key.rps1]=$(best_max "${V[$key.rps1]}")
        R[$key.p50]=$(best_min "${V[$key.p50]}")
        log "  redis $key: c20${V[$key.rps20]} req/s; c1${V[$key.rps1]} req/s, p50${V[$key.p50]} ms"
    fi
done

# MARK: report

ratio() { # a b → a/b, or "n/a"
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a";
                                             else printf "%.2f\n", a / b }'
}

# verdict value op threshold → PASS / FAIL / n/a
verdict() {
    awk -v v="${1:-}" -v op="$2" -v t="$3" 'BEGIN {
        if (v == "" || v == "n/a") { print "n/a"; exit }
        ok = (op == ">=") ? (v + 0 >= t) : (v + 0 <= t)
        print ok ? "PASS" : "FAIL" }'
}

row() { printf '%-44s %12s %12s %12s\n' "$@"; }

{
    cat "$OUT/setup.txt"
    if [ "$FLOWTAP_STANDIN" = socat ]; then
        echo "NOTE: the flowtap rows measured socat -b 131072 (stand-in), not flowtap"
    fi
    echo
    row "figure" "value" "÷socat-128K" "÷socat-8K"
    row "iperf3 direct (GB/s)" "${R[direct]}" "" ""
    row "iperf3 socat -b 131072 (GB/s)" "${R[socat128k]}" "" ""
    row "iperf3 socat 8K (GB/s)" "${R[socat8k]}" "" ""
    row "iperf3 flowtap --headless (GB/s)" "${R[flowtap]:-n/a}" \
        "$(ratio "${R[flowtap]:-}" "${R[socat128k]}")" "$(ratio "${R[flowtap]:-}" "${R[socat8k]}")"
    row "iperf3 flowtap --headless -w (GB/s)" "${R[capture]:-n/a}" \
        "$(ratio "${R[capture]:-}" "${R[socat128k]}")" "$(ratio "${R[capture]:-}" "${R[socat8k]}")"
    row "iperf3 flowtap UI open (GB/s)" "${R[ui]:-n/a}" \
        "$(ratio "${R[ui]:-}" "${R[socat128k]}")" "$(ratio "${R[ui]:-}" "${R[socat8k]}")"
    for key in direct socat128k socat8k flowtap; do
        row "redis c20 $key (req/s)" "${R[$key.rps20]:-n/a}" \
            "$(ratio "${R[$key.rps20]:-}" "${R[socat128k.rps20]}")" \
            "$(ratio "${R[$key.rps20]:-}" "${R[socat8k.rps20]}")"
    done
    for key in direct socat128k socat8k flowtap; do
        row "redis c1 $key (req/s)" "${R[$key.rps1]:-n/a}" \
            "$(ratio "${R[$key.rps1]:-}" "${R[socat128k.rps1]}")" \
            "$(ratio "${R[$key.rps1]:-}" "${R[socat8k.rps1]}")"
    done
    for key in direct socat128k socat8k flowtap; do
        row "redis c1 $key p50 (ms)" "${R[$key.p50]:-n/a}" \
            "$(ratio "${R[$key.p50]:-}" "${R[socat128k.p50]}")" \
            "$(ratio "${R[$key.p50]:-}" "${R[socat8k.p50]}")"
    done
    row "flowtap peak RSS, $RSS_VOLUME forwarded (MiB)" "${R[rss]:-n/a}" "" ""
    row "flowtap peak RSS after the iperf3 runs (MiB)" "${R[rss.after]:-n/a}" "" ""

    echo
    echo "DESIGN.md §8 targets (flowtap against socat -b 131072, same run):"
    tput=$(ratio "${R[flowtap]:-}" "${R[socat128k]}")
    cap=$(ratio "${R[capture]:-}" "${R[socat128k]}")
    ui=$(ratio "${R[ui]:-}" "${R[flowtap]:-}")
    rps=$(ratio "${R[flowtap.rps20]:-}" "${R[socat128k.rps20]}")
    rps1=$(ratio "${R[flowtap.rps1]:-}" "${R[socat128k.rps1]}")
    # Added latency: p50 through the forwarder minus p50 direct, flowtap's over socat's.
    added=$(awk -v f="${R[flowtap.p50]:-}" -v s="${R[socat128k.p50]}" -v d="${R[direct.p50]}" \
        'BEGIN { if (f == "") print "n/a"; else printf "%.3f\n", (f - d) - (s - d) }')
    printf '  %-52s %8s  %s\n' "throughput headless ≥ 1.00× socat-128K" "$tput" \
        "$(verdict "$tput" ">=" 1.0)"
    printf '  %-52s %8s  %s\n' "throughput with -w ≥ 0.60× socat-128K" "$cap" "$(verdict "$cap" ">=" 0.6)"
    printf '  %-52s %8s  %s\n' "throughput UI open ≥ 0.90× headless" "$ui" "$(verdict "$ui" ">=" 0.9)"
    printf '  %-52s %8s  %s\n' "redis req/s, 20 clients ≥ 1.00× socat-128K" "$rps" \
        "$(verdict "$rps" ">=" 1.0)"
    printf '  %-52s %8s  %s\n' "redis req/s, 1 client ≥ 1.00× socat-128K" "$rps1" \
        "$(verdict "$rps1" ">=" 1.0)"
    printf '  %-52s %8s  %s\n' "added p50 latency, 1 client, minus socat's (ms) ≤ 0" "$added" \
        "$(verdict "$added" "<=" 0)"
    printf '  %-52s %8s  %s\n' "peak RSS forwarding $RSS_VOLUME ≤ 64 MiB" "${R[rss]:-n/a}" \
        "$(verdict "${R[rss]:-}" "<=" 64)"
    printf '  %-52s %8s  %s\n' "peak RSS, long-lived, after all iperf3 runs ≤ 64 MiB" \
        "${R[rss.after]:-n/a}" "$(verdict "${R[rss.after]:-}" "<=" 64)"
    echo
    echo "raw results: $OUT"
} | tee "$SUMMARY"
