#!/bin/bash
# callgrind-common.sh: sourced by callgrind-redis.sh and callgrind-tls.sh. Needs OUT (a folder).
#
# callgrind_binary BIN NAME: copies BIN to $OUT/NAME without debug info (valgrind 3.19 cannot
# read a Swift build's DWARF 5; the symbol table stays) and builds $OUT/sigshim.so, a preloaded
# sigsuspend that copies its mask first (valgrind writes into it, and libdispatch's is
# read-only: valgrind would die of SIGSEGV). Also sources free-port.sh and keeps PIDS, every
# process started, stopped on exit.

callgrind_binary() {
    cp "$1" "$OUT/$2"
    strip -g "$OUT/$2"
    cat >"$OUT/sigshim.c" <<'EOF'
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return syscall(SYS_rt_sigsuspend, &copy, 8);
}
EOF
    cc -shared -fPIC -O2 -o "$OUT/sigshim.so" "$OUT/sigshim.c"
}

# shellcheck source=Benchmarks/free-port.sh
source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
