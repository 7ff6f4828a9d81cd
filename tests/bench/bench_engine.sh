#!/bin/sh
# tests/bench/bench_engine.sh: writes the random-weight V2-Lite-shaped FP8 checkpoint once (under
# FOLIO_TEST_TMP, reused by later runs) and runs the whole-forward benchmark on it.
# usage: bench_engine.sh BENCH_ENGINE_BINARY [threads] [decode_tokens]
set -e
bin=$1
shift
dir=${FOLIO_TEST_TMP:-/tmp}/bench-engine-v2lite
here=$(dirname "$0")
if [ ! -f "$dir/config.json" ]; then
    python3 "$here/bench_engine_model.py" "$dir"
fi
exec "$bin" "$dir" "$@"
