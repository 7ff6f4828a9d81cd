#!/bin/sh
# tests/bench/bench_long_prompt.sh: one long prompt (default 131072 tokens) through `folio
# generate` on a 1-layer random-weight V2-Lite-shaped FP8 checkpoint (bench_engine_model.py
# --layers 1, written once under FOLIO_TEST_TMP), and the peak resident memory of that process
# against the memory `folio model info` predicts for the context (weights + KV cache in the type
# given). Not part of ctest: at 128K it takes a long while on a small machine.
# usage: bench_long_prompt.sh FOLIO_BINARY [tokens] [kv-type]
set -eu
bin=$1
n=${2:-131072}
kv=${3:-bf16}
tmp=${FOLIO_TEST_TMP:-/tmp}
dir=$tmp/bench-engine-v2lite-1layer
here=$(dirname "$0")
[ -f "$dir/config.json" ] || python3 "$here/bench_engine_model.py" "$dir" --layers 1
work=$(mktemp -d "$tmp/bench_long_prompt.XXXXXX")
export XDG_CACHE_HOME="$work/xdg" XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config"
# Token ids spread over the vocabulary (what attention costs does not depend on their values).
python3 -c 'import sys; n = int(sys.argv[1])
print("[" + ",".join(str(1 + (i * 7919) % 31000) for i in range(n)) + "]")' "$n" >"$work/ids.json"
ctx=$((n + 64))
"$bin" model info "$dir" --kv-type "$kv" --json >"$work/info.json"
predicted=$(python3 -c 'import json, sys
i = json.load(open(sys.argv[1])); n = int(sys.argv[2])
print(i["weight_bytes"] + i["kv_bytes_per_token"] * n)' "$work/info.json" "$ctx")
start=$(date +%s)
/usr/bin/time -v "$bin" generate --model "$dir" --input-ids "$work/ids.json" --greedy 1 \
    --kv-type "$kv" --no-kv-cache --ctx "$ctx" --verbose >"$work/out.json" 2>"$work/err.txt" || {
    echo "bench_long_prompt: folio generate failed:"; tail -5 "$work/err.txt"; exit 1; }
secs=$(( $(date +%s) - start ))
peak_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/err.txt")
grep '^stats:' "$work/err.txt"
python3 -c 'import sys
n, kv, pred, peak, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) * 1024, sys.argv[5]
print(f"{n}-token prompt, {kv} cache, 1 layer: {secs} s; predicted (weights + KV for the context) "
      f"{pred / 2**30:.2f} GiB, peak RSS {peak / 2**30:.2f} GiB = {100 * peak / pred:.0f}% of predicted")' \
    "$n" "$kv" "$predicted" "$peak_kb" "$secs"
rm -rf "$work"
