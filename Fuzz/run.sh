#!/usr/bin/env bash
# Builds the libFuzzer executable and runs every fuzz target for a bounded time:
#   Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET…]      (default: 60 s each, every folder of Fuzz/Corpus)
# Each target runs on a copy of its seeds (Fuzz/Corpus/TARGET; the committed corpus never
# grows here), with its dictionary (Fuzz/Dictionaries/TARGET.dict) if there is one. A target
# fails on a crash, a leak, an input slower than 10 s, more than 2 GiB of memory, or when
# libFuzzer's own count of executed inputs is 0; the failing input is kept and its path printed.
# Fuzz builds have their own scratch path and flags: the plain `swift build` is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for folder in Fuzz/Corpus/*/; do targets+=("$(basename "$folder")"); done
fi

scratch=.build-fuzz
run=$PWD/$scratch/runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
started=$SECONDS
echo "fuzz: building (scratch path $scratch)"
build_status=0
swift build --package-path Fuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >"$run/build.log" 2>&1 || build_status=$?
# gold's warnings about ASan's local symbols are noise.
grep -v "Cannot export local symbol '__asan" "$run/build.log" | tail -n 20
[ "$build_status" -eq 0 ] || { echo "fuzz: the build failed ($run/build.log)" >&2; exit 1; }
fuzzer=$(swift build --package-path Fuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --show-bin-path)/flowtap-fuzz
# The executable must carry libFuzzer's driver, or it would "pass" without running anything.
if ! nm "$fuzzer" | grep ' T LLVMFuzzerRunDriver$' >/dev/null; then
    echo "fuzz: $fuzzer has no libFuzzer driver (LLVMFuzzerRunDriver)" >&2
    exit 1
fi
echo "fuzz: built in $((SECONDS - started)) s; $seconds s per target; logs and failing inputs in $run"

# Crashes go to libFuzzer (Swift's own backtracer would stall a crashing fuzzer for minutes).
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

failed=()
summary=()
for target in "${targets[@]}"; do
    seeds=Fuzz/Corpus/$target
    [ -d "$seeds" ] || { echo "fuzz: no seed folder $seeds" >&2; failed+=("$target"); continue; }
    corpus=$run/corpus/$target
    mkdir -p "$corpus" "$run/artifacts"
    cp -R "$seeds/." "$corpus/"
    rm -f "$corpus/README.md"
    case $target in
    capture) max_len=16384 ;;
    *) max_len=1024 ;;
    esac
    options=(
        -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10
        -print_final_stats=1 -artifact_prefix="$run/artifacts/$target-"
    )
    [ -f "Fuzz/Dictionaries/$target.dict" ] && options+=(-dict="Fuzz/Dictionaries/$target.dict")
    log=$run/$target.log
    echo "fuzz: $target: running for $seconds s"
    status=0
    # The outer timeout only guards against a fuzzer that never stops on its own.
    FLOWTAP_FUZZ_TARGET=$target timeout --kill-after=30 $((seconds + 300)) \
        "$fuzzer" "${options[@]}" "$corpus" >"$log" 2>&1 || status=$?
    executed=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)$/\1/p' "$log" | tail -1)
    line="$target: ${executed:-0} inputs executed, exit status $status"
    if [ "$status" -ne 0 ] || [ "${executed:-0}" -eq 0 ]; then
        failed+=("$target")
        echo "fuzz: FAILED $line; the end of its log ($log):" >&2
        tail -n 40 "$log" >&2
        for artifact in "$run/artifacts/$target-"*; do
            [ -e "$artifact" ] && echo "fuzz: $target: failing input kept at $artifact" >&2
        done
    fi
    summary+=("$line")
done

echo "fuzz: summary ($((SECONDS - started)) s in all, with the build)"
for line in "${summary[@]}"; do echo "  $line"; done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: every target ran clean"
