#!/usr/bin/env bash
# `make bench`: our figures (`realign bench`) and the peers' (bench/peers.py: PyTorch +
# transformers, llama.cpp) on the same machine, one after the other, then
# bench/RESULTS.md and bench/results.json (bench/report.py). Decode and worker memory are
# measured twice, with the weights dequantised to f32 and kept quantised
# (REALIGN_WEIGHTS=quantized, as llama.cpp computes on the file's blocks); the issue's
# targets use the quantised figures, the f32 ones are rows of their own.
#
# The peers are installed from PyPI into their own venv (BENCH_VENV, default
# .build/bench-venv): torch (PyPI's CUDA build, several GB; it runs on the CPU),
# transformers with gguf and accelerate (its GGUF loader), and llama-cpp-python, which
# compiles llama.cpp on install (many minutes, once).
#
# BENCH_THREADS (default: all cores) is the thread count of both sides; BENCH_NOTE is a
# line printed above the table (e.g. what else ran on the machine).
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${BENCH_THREADS:-$(nproc)}
venv=${BENCH_VENV:-.build/bench-venv}
model=${REALIGN_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
work=.build/bench
mkdir -p "$work" bench

missing=()
python3 -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
command -v c++ >/dev/null || missing+=(g++)
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c "import torch, transformers, gguf, accelerate, llama_cpp" 2>/dev/null; then
    echo "bench: installing the peers into $venv (llama-cpp-python compiles llama.cpp: minutes)" >&2
    "$venv/bin/pip" install --quiet torch transformers gguf accelerate llama-cpp-python
fi

swift build -c release

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: our side (${threads} threads; load average before: ${load})" >&2
.build/release/realign bench --model "$model" --threads "$threads" --work-dir "$work" --out "$work/ours.json"
echo "bench: the peers" >&2
"$venv/bin/python" bench/peers.py --ours "$work/ours.json" --model "$model" --out "$work/peers.json"

note="Load average (1, 5, 15 min) when the run started: ${load}; when it ended: $(cut -d' ' -f1-3 /proc/loadavg)."
[ -n "${BENCH_NOTE:-}" ] && note="$note $BENCH_NOTE"
python3 bench/report.py --ours "$work/ours.json" --peers "$work/peers.json" \
    --json bench/results.json --markdown bench/RESULTS.md --note "$note"
cat bench/RESULTS.md
