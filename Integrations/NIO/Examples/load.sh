#!/usr/bin/env bash
# Scripted load for the SingleFlightServer example: builds it and runs it. The program binds 127.0.0.1
# on a free port, drives it from a NIO client in the same process over loopback, once with coalescing and
# once without, and prints backend calls and p50/p99 latency. Bounded: a fixed request count, the
# program's own --deadline-s, and `timeout` around it.
#
#   Integrations/NIO/Examples/load.sh                                   # release, 10,000 requests / 100 keys
#   Integrations/NIO/Examples/load.sh -c debug --requests 1000 --keys 20
#   SCRATCH=.build-ci Integrations/NIO/Examples/load.sh -c debug ...    # reuse another build folder
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d /opt/swift/usr/bin ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
config=release
if [ "${1:-}" = "-c" ]; then config=$2; shift 2; fi
scratch=(--scratch-path "${SCRATCH:-.build}")
swift build -c "$config" "${scratch[@]}" --product SingleFlightServer >&2
bin="$(swift build -c "$config" "${scratch[@]}" --show-bin-path)/SingleFlightServer"
timeout 300 "$bin" "$@"
