#!/usr/bin/env bash
# Runs the end-to-end suites that take their broker from REALIGN_TEST_BROKER against
# Tansu, an independent Kafka implementation (the first pass of `make test` ran them on
# librdkafka's mock cluster). Tansu needs a newer librdkafka than Debian's: the one from
# the confluent-kafka wheel goes first on LD_LIBRARY_PATH for the tests and the realign
# processes they start.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/fetch-tansu.sh
suites=${SECOND_BROKER_SUITES:-BrokerEndToEndTests}
echo "test: suites $suites against Tansu" >&2
REALIGN_TEST_BROKER=tansu LD_LIBRARY_PATH="$PWD/.tools/tansu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    swift test -c release --disable-xctest --skip-build --filter "$suites"
