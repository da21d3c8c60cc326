#!/usr/bin/env bash
# proxy-bench.sh: flowtap against socat and a bare SwiftNIO proxy on the same load, in one run
# (DESIGN.md §8, issue 11 item 8).
#
#     bash Benchmarks/proxy-bench.sh
#
# Installs iperf3, socat, redis-server and redis-tools if missing (apt-get, as root), builds flowtap
# and bare-nio-proxy (Benchmarks/BareNIOProxy: two NIO channel handlers glued to each other, no
# observation: the limit of SwiftNIO on this machine) in release, then measures on 127.0.0.1:
#   - iperf3 throughput: direct, through `socat -b 131072`, through bare-nio-proxy, through
#     `flowtap --headless` (output to /dev/null), the same with a capture (`-w`, a fresh flowtap
#     each round), and with the curses UI open (in a detached tmux);
#   - the file-write ceiling of the capture's directory: `dd` of $DISK_MIB MiB (page cache, no
#     fsync) to where `-w` writes, so the `-w` row can be read against what this machine's
#     file system takes in the same run (on this VM it swings between 0.15 and 2 GB/s);
#   - flowtap's peak RSS (VmHWM): a fresh `flowtap --headless` forwarding $RSS_VOLUME, and a fresh
#     `flowtap --headless --json -w FILE` forwarding $CAPTURE_RSS_VOLUME;
#   - redis-benchmark (ping, set, get) with 20 clients (requests/s) and with 1 client (requests/s
#     and p50 latency): direct, through socat -b 131072, bare-nio-proxy and flowtap.
# flowtap runs with `--decode none` (issue 8's targets), except the `--decode auto` forwarder
# (issue 13), measured with iperf3 and redis-benchmark in the same rounds and reported against
# `--decode none` (target ≥ 0.90×).
# Every figure is the median of $RUNS rounds, taken in turns (all forwarders once, then again…), so
# that a slow moment of this shared machine does not fall on one forwarder only. Prints one table:
# each flowtap row with its ratio to socat -b 131072 and to the bare NIO proxy of the same run, its
# target (issue 11 item 8) and PASS/FAIL; keeps the raw outputs in bench-results/<time>/.
#
# Knobs (environment): RUNS (3), SECONDS_PER_RUN (4), REDIS_N (40000), REDIS_N1 (10000),
# RSS_VOLUME (4G), CAPTURE_RSS_VOLUME (2G), DISK_MIB (512), CAPTURE_DIR (where `-w` writes, default a directory
# under /tmp; /dev/shm takes the disk out of the figure), FLOWTAP and BARE_NIO_PROXY (prebuilt
# binaries: given both, nothing is built), FLOWTAP_STANDIN=socat (run `socat -b 131072` in
# flowtap's place, to test this script without the CLI). About 5 minutes at the defaults.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
REDIS_N=${REDIS_N:-40000}
REDIS_N1=${REDIS_N1:-10000}
RSS_VOLUME=${RSS_VOLUME:-4G}
CAPTURE_RSS_VOLUME=${CAPTURE_RSS_VOLUME:-2G}
DISK_MIB=${DISK_MIB:-512}
FLOWTAP_STANDIN=${FLOWTAP_STANDIN:-}
HOST=127.0.0.1

OUT="$ROOT/bench-results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/proxy-bench.XXXXXX)
CAPTURE="$(mktemp -d "${CAPTURE_DIR:-$WORK}/proxy-bench-capture.XXXXXX")/bench.pcapng"
SUMMARY="$OUT/summary.txt"
UI_TMUX="flowtap-bench-$$"

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
    for tool in iperf3:iperf3 socat:socat redis-server:redis-server redis-benchmark:redis-tools \
        ss:iproute2; do
        command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
    done
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

build() {
    if [ -n "${FLOWTAP:-}" ] && [ -n "${BARE_NIO_PROXY:-}" ]; then return 0; fi
    log "building flowtap and bare-nio-proxy (release)…"
    local product
    for product in flowtap bare-nio-proxy; do
        (cd "$ROOT" && swift build -c release --product "$product" >>"$OUT/build.log" 2>&1) || {
            tail -20 "$OUT/build.log" >&2
            exit 1
        }
    done
    local bin
    bin="$(cd "$ROOT" && swift build -c release --show-bin-path)"
    FLOWTAP=${FLOWTAP:-$bin/flowtap}
    BARE_NIO_PROXY=${BARE_NIO_PROXY:-$bin/bare-nio-proxy}
}

# shellcheck source=Benchmarks/free-port.sh
source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

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

# Peak RSS (VmHWM) of process $1 in MiB, or nothing.
peak_rss() {
    awk '/VmHWM/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || true
}

# MARK: forwarders
# Each start_* takes the target port, starts a forwarder on a free port, and sets FWD_PORT and
# FWD_PID. Stop it with `stop "$FWD_PID"`.

start_socat() { # target-port
    FWD_PORT=$(free_port)
    start socat -b 131072 "TCP-LISTEN:$FWD_PORT,fork,reuseaddr,bind=$HOST" "TCP:$HOST:$1"
    FWD_PID=$LAST_PID
    wait_listening "$FWD_PORT"
}

start_bare() { # target-port
    FWD_PORT=$(free_port)
    ERRFILE="$OUT/bare-nio-proxy.stderr" start "$BARE_NIO_PROXY" "$FWD_PORT" "$HOST" "$1"
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
        # --decode none unless the caller names a decoder.
        local decode=(--decode none)
        case " $* " in *" --decode "*) decode=() ;; esac
        ERRFILE="$WORK/flowtap.stderr" start "$FLOWTAP" proxy "tcp-listen:$HOST:$FWD_PORT" \
            "tcp:$HOST:$target" --headless "${decode[@]}" "$@"
    fi
    FWD_PID=$LAST_PID
    if ! wait_listening "$FWD_PORT"; then
        log "flowtap did not listen on $FWD_PORT:"
        cat "$WORK/flowtap.stderr" >&2 2>/dev/null || true
        stop "$FWD_PID"
        return 1
    fi
}

# flowtap with its curses UI drawing live, in a detached 120x40 tmux session of a tmux server of
# its own, forwarding to port $1.
start_flowtap_ui() { # target-port
    [ "$FLOWTAP_STANDIN" = socat ] && return 1
    command -v tmux >/dev/null 2>&1 || return 1
    FWD_PORT=$(free_port)
    tmux -L "$UI_TMUX" -f /dev/null new-session -d -x 120 -y 40 \
        "LANG=C.UTF-8 $FLOWTAP proxy tcp-listen:$HOST:$FWD_PORT tcp:$HOST:$1 --decode none" || return 1
    FWD_PID=$(tmux -L "$UI_TMUX" list-panes -F '#{pane_pid}' | head -n 1)
    if ! wait_listening "$FWD_PORT"; then
        log "flowtap (UI) did not listen on $FWD_PORT"
        tmux -L "$UI_TMUX" kill-server 2>/dev/null || true
        return 1
    fi
}

# Long-lived forwarders to one target port: socat -b 131072, bare-nio-proxy, flowtap and (with-ui
# = 1) flowtap with its UI, each on its own port; fills PORT[key] and PID[key] for those that
# started.
declare -A PORT PID
start_forwarders() { # target-port with-ui(0/1)
    PORT=() PID=()
    start_socat "$1" && PORT[socat]=$FWD_PORT PID[socat]=$FWD_PID
    start_bare "$1" && PORT[bare]=$FWD_PORT PID[bare]=$FWD_PID
    if [ $FLOWTAP_OK = 1 ] && start_flowtap "$1"; then
        PORT[flowtap]=$FWD_PORT PID[flowtap]=$FWD_PID
    else
        FLOWTAP_OK=0
    fi
    if [ $FLOWTAP_OK = 1 ] && start_flowtap "$1" --decode auto; then
        PORT[auto]=$FWD_PORT PID[auto]=$FWD_PID
    fi
    if [ "$2" = 1 ] && [ $FLOWTAP_OK = 1 ] && start_flowtap_ui "$1"; then
        PORT[ui]=$FWD_PORT PID[ui]=$FWD_PID
    fi
}

stop_forwarders() {
    local key
    for key in "${!PID[@]}"; do
        if [ "$key" = ui ]; then
            tmux -L "$UI_TMUX" kill-server 2>/dev/null || true
        else
            stop "${PID[$key]}"
        fi
    done
}

# MARK: measurements

# The receiver's throughput in GB/s (10^9 bytes/s) of an iperf3 text output $1.
iperf_gbs_of() {
    awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Kbits/sec") r = $(i - 1) }
         END { printf "%.3f\n", r * 1000 / 8 / 1e9 }' "$1"
}

# iperf3 to port $1 for $SECONDS_PER_RUN s (or, with $3, for a volume of $3 bytes); raw output to
# $2; prints GB/s (0 when iperf3 failed).
iperf_gbs() { # port raw [volume]
    local amount=(-t "$SECONDS_PER_RUN") limit=$((SECONDS_PER_RUN + 60))
    if [ -n "${3:-}" ]; then amount=(-n "$3") limit=300; fi
    if ! timeout "$limit" iperf3 -c "$HOST" -p "$1" "${amount[@]}" -f k >"$2" 2>&1; then
        log "iperf3 failed, see $2"
        echo 0
        return
    fi
    iperf_gbs_of "$2"
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

# V[key] collects the rounds' values of a figure; M[key] is their median.
declare -A V M
add() { V[$1]="${V[$1]:-} $2"; }
median() { # values… → the median (the mean of the middle two for an even count)
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
summarize() { # key unit
    [ -n "${V[$1]:-}" ] || return 0
    # shellcheck disable=SC2086 # the values are one word each
    M[$1]=$(median ${V[$1]})
    log "  $1:${V[$1]} $2 → median ${M[$1]}"
}

measure_iperf() { # key port round
    add "$1" "$(iperf_gbs "$2" "$OUT/iperf-$1-$3.txt")"
}

# A fresh flowtap with a capture, for $SECONDS_PER_RUN s of iperf3: throughput (key capture) and
# its peak RSS (capture.rss). The capture is deleted after (it holds every byte forwarded).
measure_capture() { # round
    [ $FLOWTAP_OK = 1 ] || return 0
    start_flowtap "$IPERF_PORT" -w "$CAPTURE" || return 0
    measure_iperf capture "$FWD_PORT" "$1"
    add capture.rss "$(peak_rss "$FWD_PID")"
    stop "$FWD_PID"
    ls -l "$CAPTURE" >>"$OUT/capture-files.txt" 2>&1 || true
    rm -f "$CAPTURE"
}

# What the capture's file system takes: dd of $DISK_MIB MiB in 1 MiB writes to the capture's
# path, without fsync (flowtap does not sync either); GB/s under key disk.
measure_disk() { # round
    local raw="$OUT/dd-$1.txt"
    if timeout 120 dd if=/dev/zero of="$CAPTURE" bs=1M count="$DISK_MIB" >"$raw" 2>&1; then
        add disk "$(awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") t = $(i - 1)
                                    if (t > 0) printf "%.3f\n", $1 / t / 1e9 }' "$raw")"
    fi
    rm -f "$CAPTURE"
}

# Peak RSS of a fresh flowtap forwarding one fixed volume: headless (key rss, $RSS_VOLUME) and
# headless with `--json -w` (key rss.w, $CAPTURE_RSS_VOLUME).
measure_rss() { # round
    [ $FLOWTAP_OK = 1 ] || return 0
    if start_flowtap "$IPERF_PORT"; then
        add rss.gbs "$(iperf_gbs "$FWD_PORT" "$OUT/iperf-rss-$1.txt" "$RSS_VOLUME")"
        add rss "$(peak_rss "$FWD_PID")"
        stop "$FWD_PID"
    fi
    if start_flowtap "$IPERF_PORT" --json -w "$CAPTURE"; then
        add rss.w.gbs "$(iperf_gbs "$FWD_PORT" "$OUT/iperf-rss-w-$1.txt" "$CAPTURE_RSS_VOLUME")"
        add rss.w "$(peak_rss "$FWD_PID")"
        stop "$FWD_PID"
        rm -f "$CAPTURE"
    fi
}

# One redis-benchmark with 20 clients and one with 1 client to port $2: keys $1.rps20, $1.rps1,
# $1.p50.
measure_redis() { # key port round
    local line
    line=$(redis_run "$2" 20 "$REDIS_N" "$OUT/redis-$1-c20-$3.csv")
    add "$1.rps20" "${line% *}"
    line=$(redis_run "$2" 1 "$REDIS_N1" "$OUT/redis-$1-c1-$3.csv")
    add "$1.rps1" "${line% *}"
    add "$1.p50" "${line#* }"
}

# MARK: run

install_missing
build
if [ "$FLOWTAP_STANDIN" = socat ]; then
    log "FLOWTAP_STANDIN=socat: the flowtap rows measure socat -b 131072, not flowtap"
fi
FLOWTAP_OK=1

{
    echo "date: $(date -Is)"
    echo "host: $(uname -srm), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "flowtap: ${FLOWTAP_STANDIN:+stand-in }${FLOWTAP_STANDIN:-$FLOWTAP}; -w writes to $CAPTURE"
    echo "bare NIO: $BARE_NIO_PROXY"
    echo "iperf3 -t $SECONDS_PER_RUN; redis-benchmark -t ping,set,get -c 20 -n $REDIS_N and" \
        "-c 1 -n $REDIS_N1 (mean over PING_INLINE, PING_MBULK, SET, GET)"
    echo "each figure: the median of $RUNS rounds taken in turns"
} >"$OUT/setup.txt"

IPERF_KEYS="direct socat bare flowtap auto capture ui"
IPERF_PORT=$(free_port)
OUTFILE="$OUT/iperf3-server.log" start iperf3 -s -B "$HOST" -p "$IPERF_PORT"
IPERF_PID=$LAST_PID
wait_listening "$IPERF_PORT"
start_forwarders "$IPERF_PORT" 1
PORT[direct]=$IPERF_PORT
log "iperf3: $RUNS rounds of $IPERF_KEYS ($SECONDS_PER_RUN s each), peak RSS ($RSS_VOLUME," \
    "$CAPTURE_RSS_VOLUME with -w)"
for round in $(seq "$RUNS"); do
    for key in $IPERF_KEYS; do
        if [ "$key" = capture ]; then
            measure_disk "$round"
            measure_capture "$round"
        elif [ -n "${PORT[$key]:-}" ]; then
            measure_iperf "$key" "${PORT[$key]}" "$round"
        fi
    done
    measure_rss "$round"
done
# The long-lived forwarders' peaks after all the iperf3 rounds.
[ -n "${PID[flowtap]:-}" ] && M[rss.after]=$(peak_rss "${PID[flowtap]}")
[ -n "${PID[bare]:-}" ] && M[bare.rss.after]=$(peak_rss "${PID[bare]}")
stop_forwarders
stop "$IPERF_PID"
for key in $IPERF_KEYS; do summarize "$key" GB/s; done
summarize disk GB/s
summarize capture.rss MiB
summarize rss MiB
summarize rss.gbs GB/s
summarize rss.w MiB
summarize rss.w.gbs GB/s

REDIS_KEYS="direct socat bare flowtap auto"
REDIS_PORT=$(free_port)
OUTFILE="$OUT/redis-server.log" start redis-server --bind "$HOST" --port "$REDIS_PORT" --save '' \
    --appendonly no
REDIS_PID=$LAST_PID
wait_listening "$REDIS_PORT"
start_forwarders "$REDIS_PORT" 0
PORT[direct]=$REDIS_PORT
log "redis-benchmark: $RUNS rounds of $REDIS_KEYS (c20 -n $REDIS_N, c1 -n $REDIS_N1)"
for round in $(seq "$RUNS"); do
    for key in $REDIS_KEYS; do
        if [ -n "${PORT[$key]:-}" ]; then measure_redis "$key" "${PORT[$key]}" "$round"; fi
    done
done
stop_forwarders
stop "$REDIS_PID"
for key in $REDIS_KEYS; do
    summarize "$key.rps20" req/s
    summarize "$key.rps1" req/s
    summarize "$key.p50" ms
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

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

# both verdicts… → FAIL if one fails, n/a if one is n/a, else PASS
all_of() {
    local v result=PASS
    for v in "$@"; do
        case $v in FAIL) result=FAIL ;; n/a) [ $result = PASS ] && result=n/a ;; esac
    done
    echo "$result"
}

# One table line: label, flowtap, socat, bare, ÷socat, ÷bare, target, verdict. Widths count
# characters, not bytes (printf pads by bytes: "≥" and "÷" are three).
spaces() { if [ "$1" -gt 0 ]; then printf '%*s' "$1" ''; fi; }
line() {
    local LC_ALL=C.UTF-8 out="" i=0 cell width
    local widths=(-34 10 11 10 8 8 -30 0)
    for cell in "$@"; do
        width=${widths[$i]}
        if [ "$width" -lt 0 ]; then
            out+="$cell$(spaces $((-width - ${#cell}))) "
        else
            out+="$(spaces $((width - ${#cell})))$cell "
        fi
        i=$((i + 1))
    done
    printf '%s\n' "${out%"${out##*[! ]}"}"
}

{
    cat "$OUT/setup.txt"
    echo "load average at the end: $LOAD_END"
    if [ "$FLOWTAP_STANDIN" = socat ]; then
        echo "NOTE: the flowtap rows measured socat -b 131072 (stand-in), not flowtap"
    fi
    echo
    echo "Reference (medians): iperf3 direct ${M[direct]:-n/a} GB/s, socat -b 131072" \
        "${M[socat]:-n/a} GB/s, bare NIO ${M[bare]:-n/a} GB/s (bare ÷ socat" \
        "$(ratio "${M[bare]:-}" "${M[socat]:-}"));"
    echo "  redis c20: direct ${M[direct.rps20]:-n/a}, socat ${M[socat.rps20]:-n/a}, bare NIO" \
        "${M[bare.rps20]:-n/a} req/s (bare ÷ socat $(ratio "${M[bare.rps20]:-}" "${M[socat.rps20]:-}"));"
    echo "  redis c1: direct ${M[direct.rps1]:-n/a}, socat ${M[socat.rps1]:-n/a}, bare NIO" \
        "${M[bare.rps1]:-n/a} req/s (bare ÷ socat $(ratio "${M[bare.rps1]:-}" "${M[socat.rps1]:-}"));" \
        "p50 direct ${M[direct.p50]:-n/a}, socat ${M[socat.p50]:-n/a}, bare ${M[bare.p50]:-n/a} ms"
    echo "  bare NIO peak RSS after its iperf3 rounds: ${M[bare.rss.after]:-n/a} MiB"
    echo "  file-write ceiling where -w writes (dd, $DISK_MIB MiB): ${M[disk]:-n/a} GB/s;" \
        "flowtap -w ÷ dd $(ratio "${M[capture]:-}" "${M[disk]:-}")"
    echo
    line "flowtap row (median of $RUNS)" "flowtap" "socat-128K" "bare NIO" "÷socat" "÷bare" \
        "target" "verdict"

    r_s=$(ratio "${M[flowtap]:-}" "${M[socat]:-}")
    r_b=$(ratio "${M[flowtap]:-}" "${M[bare]:-}")
    line "iperf3 headless (GB/s)" "${M[flowtap]:-n/a}" "${M[socat]:-n/a}" "${M[bare]:-n/a}" \
        "$r_s" "$r_b" "≥ 1.00× socat" "$(verdict "$r_s" ">=" 1.0)"

    r_s=$(ratio "${M[capture]:-}" "${M[socat]:-}")
    r_b=$(ratio "${M[capture]:-}" "${M[bare]:-}")
    line "iperf3 with -w (GB/s)" "${M[capture]:-n/a}" "${M[socat]:-n/a}" "${M[bare]:-n/a}" \
        "$r_s" "$r_b" "≥ 0.60× socat" "$(verdict "$r_s" ">=" 0.6)"

    r_s=$(ratio "${M[ui]:-}" "${M[socat]:-}")
    r_b=$(ratio "${M[ui]:-}" "${M[bare]:-}")
    r_h=$(ratio "${M[ui]:-}" "${M[flowtap]:-}")
    line "iperf3 UI open (GB/s)" "${M[ui]:-n/a}" "${M[socat]:-n/a}" "${M[bare]:-n/a}" \
        "$r_s" "$r_b" "≥ 0.95× headless: $r_h" "$(verdict "$r_h" ">=" 0.95)"

    r_s=$(ratio "${M[flowtap.rps20]:-}" "${M[socat.rps20]:-}")
    r_b=$(ratio "${M[flowtap.rps20]:-}" "${M[bare.rps20]:-}")
    line "redis 20 clients (req/s)" "${M[flowtap.rps20]:-n/a}" "${M[socat.rps20]:-n/a}" \
        "${M[bare.rps20]:-n/a}" "$r_s" "$r_b" "≥ 1.30× socat, ≥ 0.90× bare" \
        "$(all_of "$(verdict "$r_s" ">=" 1.3)" "$(verdict "$r_b" ">=" 0.9)")"

    r_s=$(ratio "${M[flowtap.rps1]:-}" "${M[socat.rps1]:-}")
    r_b=$(ratio "${M[flowtap.rps1]:-}" "${M[bare.rps1]:-}")
    line "redis 1 client (req/s)" "${M[flowtap.rps1]:-n/a}" "${M[socat.rps1]:-n/a}" \
        "${M[bare.rps1]:-n/a}" "$r_s" "$r_b" "≥ 1.00× socat" "$(verdict "$r_s" ">=" 1.0)"

    # p50 latency: a ratio above 1 is worse here; shown for the record, no target of its own.
    line "redis 1 client p50 (ms)" "${M[flowtap.p50]:-n/a}" "${M[socat.p50]:-n/a}" \
        "${M[bare.p50]:-n/a}" "$(ratio "${M[flowtap.p50]:-}" "${M[socat.p50]:-}")" \
        "$(ratio "${M[flowtap.p50]:-}" "${M[bare.p50]:-}")" "(lower is better)" ""

    # Issue 13: decoding (--decode auto) against none, same run.
    r_n=$(ratio "${M[auto]:-}" "${M[flowtap]:-}")
    line "iperf3 --decode auto (GB/s)" "${M[auto]:-n/a}" "${M[socat]:-n/a}" "${M[bare]:-n/a}" \
        "$(ratio "${M[auto]:-}" "${M[socat]:-}")" "$(ratio "${M[auto]:-}" "${M[bare]:-}")" \
        "≥ 0.90× none: $r_n" "$(verdict "$r_n" ">=" 0.9)"
    r_n=$(ratio "${M[auto.rps20]:-}" "${M[flowtap.rps20]:-}")
    line "redis 20 clients, auto (req/s)" "${M[auto.rps20]:-n/a}" "${M[socat.rps20]:-n/a}" \
        "${M[bare.rps20]:-n/a}" "$(ratio "${M[auto.rps20]:-}" "${M[socat.rps20]:-}")" \
        "$(ratio "${M[auto.rps20]:-}" "${M[bare.rps20]:-}")" "≥ 0.90× none: $r_n" \
        "$(verdict "$r_n" ">=" 0.9)"
    r_n=$(ratio "${M[auto.rps1]:-}" "${M[flowtap.rps1]:-}")
    line "redis 1 client, auto (req/s)" "${M[auto.rps1]:-n/a}" "${M[socat.rps1]:-n/a}" \
        "${M[bare.rps1]:-n/a}" "$(ratio "${M[auto.rps1]:-}" "${M[socat.rps1]:-}")" \
        "$(ratio "${M[auto.rps1]:-}" "${M[bare.rps1]:-}")" "≥ 0.90× none: $r_n" \
        "$(verdict "$r_n" ">=" 0.9)"

    line "peak RSS, $RSS_VOLUME headless (MiB)" "${M[rss]:-n/a}" "" "${M[bare.rss.after]:-n/a}" \
        "" "" "≤ 40 MiB" "$(verdict "${M[rss]:-}" "<=" 40)"
    line "peak RSS, $CAPTURE_RSS_VOLUME -w --json (MiB)" "${M[rss.w]:-n/a}" "" "" "" "" "≤ 64 MiB" \
        "$(verdict "${M[rss.w]:-}" "<=" 64)"
    line "peak RSS, ${SECONDS_PER_RUN}s -w (MiB)" "${M[capture.rss]:-n/a}" "" "" "" "" "(record)" ""
    line "peak RSS, long-lived (MiB)" "${M[rss.after]:-n/a}" "" "" "" "" "(record)" ""
    echo
    echo "bare NIO column of the RSS rows: the bare proxy's peak after all its iperf3 rounds."
    echo "throughput while measuring RSS: ${M[rss.gbs]:-n/a} GB/s headless," \
        "${M[rss.w.gbs]:-n/a} GB/s with -w --json"
    echo "raw results: $OUT"
} | tee "$SUMMARY"
