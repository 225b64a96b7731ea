#!/usr/bin/env bash
# `make fuzz`: libFuzzer (swiftc -sanitize=fuzzer, with AddressSanitizer) on each reader of
# untrusted bytes, FUZZ_SECONDS each (default 60), starting from the seeds the test suite
# builds (FuzzingTests, written out through REALIGN_FUZZ_CORPUS). The binary is the Core
# sources plus Fuzz/FuzzEntry.swift compiled as one module. Inputs that crash are saved as
# .build/fuzz/artifacts/<target>/crash-*; the run fails if there is any.
# FUZZ_TARGETS picks targets (default: all five); FUZZ_MALLOC_MB bounds one allocation.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"job-decoder gguf safetensors tokenizer-json tokenizer-text"}
malloc_mb=${FUZZ_MALLOC_MB:-512}
out=.build/fuzz
binary=$out/realign-fuzz
mkdir -p "$out"

sources=$(find Sources/Core -name '*.swift' | sort)
if [ ! -x "$binary" ] || [ -n "$(find Sources/Core Fuzz -name '*.swift' -newer "$binary" | head -1)" ]; then
    echo "fuzz: compiling $(echo "$sources" | wc -l) Core sources with -sanitize=fuzzer,address" >&2
    # shellcheck disable=SC2086
    swiftc -sanitize=fuzzer,address -parse-as-library -O -swift-version 6 -module-name RealignFuzz \
        -I Sources/CKafka -I Sources/COpenBLAS -I Sources/CCrypto \
        $(pkg-config --cflags-only-I openblas | sed 's/-I/-Xcc -I/g') \
        $(pkg-config --libs rdkafka openblas libcrypto) \
        $sources Fuzz/FuzzEntry.swift -o "$binary"
fi

echo "fuzz: writing the seed corpus (FuzzingTests)" >&2
rm -rf "$out/seeds"
REALIGN_FUZZ_CORPUS="$PWD/$out/seeds" swift test -c release --disable-xctest --filter FuzzingTests >/dev/null

failed=0
for target in $targets; do
    corpus=$out/corpus/$target
    artifacts=$out/artifacts/$target
    mkdir -p "$corpus" "$artifacts"
    echo "fuzz: $target for ${seconds} s" >&2
    if ! REALIGN_FUZZ_TARGET=$target "$binary" "$corpus" "$out/seeds/$target" \
        -max_total_time="$seconds" -timeout=10 -malloc_limit_mb="$malloc_mb" -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="$artifacts/" -print_final_stats=1 2> "$out/$target.log"; then
        echo "fuzz: $target FAILED; see $out/$target.log and $artifacts/" >&2
        failed=1
    fi
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "$out/$target.log" | sed "s/^/  $target: /" >&2 || true
done
exit $failed
