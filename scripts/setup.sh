#!/usr/bin/env bash
# Prepares a fresh Debian machine: system packages, the SmolLM2 model file, the build.
# Idempotent: every step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(librdkafka-dev libopenblas-dev libssl-dev pkg-config kcat)
python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

scripts/fetch-model.sh

# The official OpenAI client, which the `realign serve` integration test drives.
if ! python3 -c "import openai" 2>/dev/null; then
    echo "setup: installing the openai Python package" >&2
    python3 -m pip install --user --quiet openai
fi

echo "setup: building (release)" >&2
swift build -c release
