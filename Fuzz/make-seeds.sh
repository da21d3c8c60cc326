#!/usr/bin/env bash
# Makes the capture seeds of Fuzz/Corpus/capture again (they are committed; run this only to
# refresh them): small sessions through a real flowtap with -w, a loopback exchange taken by
# dumpcap, and tshark/editcap conversions of both to classic pcap.
#   Fuzz/make-seeds.sh [PATH-TO-FLOWTAP]     (default: .build/debug/flowtap; needs socat, tshark)
set -euo pipefail
cd "$(dirname "$0")/.."
flowtap=$(realpath "${1:-.build/debug/flowtap}")
out=$PWD/Fuzz/Corpus/capture
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"

# An echo server on a free port, in $port.
echo_server() {
    socat -d -d TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork EXEC:cat </dev/null >/dev/null 2>"$work/echo.log" &
    pids+=($!)
    for _ in $(seq 50); do
        port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$work/echo.log" | head -1)
        [ -n "$port" ] && return
        sleep 0.1
    done
    echo "make-seeds: the echo server did not start" >&2
    exit 1
}

# flowtap LISTEN TARGET OPTIONS… with -w FILE; one client sends $payload, half-closes, reads the reply.
flowtap_session() {
    local file=$1 listen=$2 target=$3
    shift 3
    "$flowtap" proxy "$listen" "$target" --json --once -w "$file" "$@" </dev/null >"$work/events.jsonl" &
    local pid=$!
    local address=""
    for _ in $(seq 100); do
        address=$(sed -n 's/.*"listening","address":"\([^"]*\)".*/\1/p' "$work/events.jsonl" | head -1)
        [ -n "$address" ] && break
        sleep 0.1
    done
    case $address in
    /*) printf '%b' "$payload" | socat -t 2 - "UNIX-CONNECT:$address" >/dev/null ;;
    \[*) printf '%b' "$payload" | socat -t 2 - "TCP6:$address" >/dev/null ;;
    *) printf '%b' "$payload" | socat -t 2 - "TCP4:$address" >/dev/null || true ;;
    esac
    timeout 10 tail --pid="$pid" -f /dev/null || kill "$pid"
}

echo_server
payload='PING\r\nSET k v\r\n'
flowtap_session "$out/flowtap-ipv4.pcapng" tcp-listen:0 "tcp:127.0.0.1:$port"
payload='GET / HTTP/1.1\r\nHost: x\r\n\r\n'
flowtap_session "$out/flowtap-ipv6-faults.pcapng" 'tcp-listen:[::1]:0' "tcp:127.0.0.1:$port" \
    --fault c2s:slice=7 --fault s2c:latency=1ms --rewrite 'c2s:HTTP=HTTQ'
payload='hello over a unix socket\n'
flowtap_session "$out/flowtap-unix.pcapng" "unix-listen:$work/in.sock" "tcp:127.0.0.1:$port"
payload='nobody listens\n'
flowtap_session "$out/flowtap-connect-error.pcapng" tcp-listen:0 "unix:$work/absent.sock"

# A loopback exchange taken by dumpcap on lo (Ethernet) and on any (Linux cooked, SLL2), and
# the same as classic pcap (microsecond and nanosecond), written by tshark.
for interface in lo any; do
    echo_server
    dumpcap -q -i "$interface" -f "tcp port $port" -a duration:3 -w "$work/$interface.pcapng" 2>/dev/null &
    capture=$!
    sleep 1
    printf 'PING\r\n' | socat -t 1 - "TCP4:127.0.0.1:$port" >/dev/null
    wait "$capture"
    cp "$work/$interface.pcapng" "$out/dumpcap-$interface.pcapng"
    tshark -F pcap -r "$work/$interface.pcapng" -w "$out/tshark-$interface.pcap" 2>/dev/null
done
tshark -F nsecpcap -r "$work/lo.pcapng" -w "$out/tshark-lo-nsec.pcap" 2>/dev/null
# flowtap's capture through editcap with a snap length: packets captured shorter than they were.
editcap -F pcapng -s 64 "$out/flowtap-ipv4.pcapng" "$out/editcap-snap64.pcapng"
chmod 644 "$out"/*
ls -l "$out"
