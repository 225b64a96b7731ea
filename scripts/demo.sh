#!/usr/bin/env bash
# The main job: TrRa teacher targets for SmolLM2-135M-Instruct over a 2-worker fleet.
# ref = the model as it is; aligned = the same model asked for brevity by a system
# message; lambdas 0.5 (halfway) and 2.0 (extrapolated past the aligned view).
set -euo pipefail
cd "$(dirname "$0")/.."

limit=${LIMIT:-64}
out=${OUT:-out/demo}
model=models/SmolLM2-135M-Instruct.Q4_1.gguf

# RESUME=1 continues an interrupted demo; otherwise an earlier demo output is replaced.
if [ -n "${RESUME:-}" ]; then continue_flag=--resume; else continue_flag=--overwrite; fi

exec .build/release/realign teacher \
    --data data/alpaca_en_demo.json --limit "$limit" \
    --ref "smol=$model" --aligned smol \
    --aligned-system "Answer in one short sentence." \
    --lambda 0.5,2 --top-k 32 \
    --workers "${WORKERS:-2}" \
    --out "$out" "$continue_flag"
