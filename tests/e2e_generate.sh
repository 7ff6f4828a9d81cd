#!/usr/bin/env bash
# tests/e2e_generate.sh: `folio generate` on the engine fixtures: --input-ids with --logits-out
# (raw float32 [positions x vocab]) and --greedy N against golden.json / golden.safetensors, the
# --verbose stats line, and the refusals (bad ids, a text prompt without a tokenizer, usage).
set -u
: "${FOLIO_BIN:?}" "${FOLIO_SHARED:?}" "${FOLIO_TEST_TMP:?}"
tmp=$(mktemp -d "$FOLIO_TEST_TMP/e2e_generate.XXXXXX")
fail=0
# The prefix cache is on by default: its block files go under the test's folder.
export XDG_CACHE_HOME="$tmp/xdg"
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; fail=1; fi; }

for fx in tiny-v3 tiny-v2lite-bf16; do
  dir="$FOLIO_SHARED/fixtures/engine/$fx"
  python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["input_ids"]))' \
    "$dir/golden.json" > "$tmp/ids.json"
  "$FOLIO_BIN" generate --model "$dir" --input-ids "$tmp/ids.json" --logits-out "$tmp/lg.bin" \
    --greedy 16 --verbose > "$tmp/out.json" 2> "$tmp/err.txt"
  check "$fx: exit status" "[ $? -eq 0 ]"
  check "$fx: greedy ids" "python3 - '$dir/golden.json' '$tmp/out.json' <<'PY'
import json, sys
want = json.load(open(sys.argv[1]))['greedy_tokens'][:16]
got = json.load(open(sys.argv[2]))
sys.exit(0 if got == want else print(got, want) or 1)
PY"
  check "$fx: logits of every position" "python3 - '$dir/golden.safetensors' '$tmp/lg.bin' <<'PY'
import json, struct, sys
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
meta = json.loads(raw[8:8 + n])['logits_full']
a, b = meta['data_offsets']
gold = struct.unpack('<%df' % ((b - a) // 4), raw[8 + n + a:8 + n + b])
mine = open(sys.argv[2], 'rb').read()
if len(mine) != b - a:
    sys.exit(print('size', len(mine), 'want', b - a) or 1)
mine = struct.unpack('<%df' % (len(mine) // 4), mine)
err = max(abs(x - y) for x, y in zip(mine, gold)) / max(abs(y) for y in gold)
print('rel', err)
sys.exit(0 if err < 1e-4 else 1)
PY"
  stats='^stats: prompt_tokens=[0-9]+ cached_tokens=[0-9]+ prefill_ms=[0-9.]+ ttft_ms=[0-9.]+'
  stats="$stats decode_tokens=16 decode_tok_s=[0-9.]+\$"
  check "$fx: stats line" "grep -Eq '$stats' '$tmp/err.txt'"
done

dir="$FOLIO_SHARED/fixtures/engine/tiny-v3"
"$FOLIO_BIN" generate --model "$dir" --input-ids "$tmp/ids.json" -n 5 --seed 7 --verbose \
  > "$tmp/a.txt" 2> "$tmp/err.txt"
check "sampled ids print" "[ $? -eq 0 ] && [ \$(wc -w < '$tmp/a.txt') -le 5 ]"
"$FOLIO_BIN" generate --model "$dir" --input-ids "$tmp/ids.json" -n 5 --seed 7 \
  > "$tmp/b.txt" 2>/dev/null
check "same seed, same tokens" "cmp -s '$tmp/a.txt' '$tmp/b.txt'"
echo '[1, 2, 100000]' > "$tmp/bad.json"
"$FOLIO_BIN" generate --model "$dir" --input-ids "$tmp/bad.json" --greedy 2 \
  > /dev/null 2> "$tmp/err.txt"
check "out-of-vocabulary id refused" "[ $? -eq 1 ] && grep -q 'element 2' '$tmp/err.txt'"
"$FOLIO_BIN" generate --model "$dir" "hello" > /dev/null 2> "$tmp/err.txt"
check "text prompt without tokenizer.json" "[ $? -eq 1 ] && grep -qi 'tokenizer' '$tmp/err.txt'"
"$FOLIO_BIN" generate --input-ids "$tmp/ids.json" > /dev/null 2>&1 </dev/null
rc=$?; [ -n "${FOLIO_MODEL:-}" ] || check "no model: usage" "[ $rc -eq 2 ]"
"$FOLIO_BIN" generate --model "$dir" --bogus x > /dev/null 2>&1
check "unknown option: usage" "[ $? -eq 2 ]"
"$FOLIO_BIN" generate --help | grep -q -- '--logits-out'
check "help" "[ $? -eq 0 ]"
# Speculative decoding with the MTP layer gives the greedy tokens.
mtp="$FOLIO_SHARED/fixtures/engine/tiny-v3-mtp"
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["input_ids"]))' \
  "$mtp/golden.json" > "$tmp/mids.json"
"$FOLIO_BIN" generate --model "$mtp" --input-ids "$tmp/mids.json" --greedy 24 --speculative \
  --verbose > "$tmp/spec.json" 2> "$tmp/err.txt"
check "speculative = greedy" "python3 - '$mtp/golden.json' '$tmp/spec.json' <<'PY'
import json, sys
sys.exit(0 if json.load(open(sys.argv[2])) == json.load(open(sys.argv[1]))['greedy_tokens'][:24]
         else 1)
PY"
check "speculative stats" "grep -q '^speculative: drafts=15 accepted=8$' '$tmp/err.txt'"
"$FOLIO_BIN" generate --model "$dir" --input-ids "$tmp/ids.json" --greedy 2 --speculative \
  > /dev/null 2> "$tmp/err.txt"
check "speculative without an MTP layer refused" "[ $? -eq 1 ] && grep -q MTP '$tmp/err.txt'"

# Text prompts through the model's tokenizer: the tiny-v3 weights with the DeepSeek-V3 tokenizer
# (a prompt of single letters keeps every id inside the tiny vocabulary of 1000).
mdir="$tmp/model"
mkdir "$mdir"
for f in config.json model.safetensors.index.json model-00001-of-00002.safetensors \
         model-00002-of-00002.safetensors; do ln -s "$dir/$f" "$mdir/$f"; done
for f in tokenizer.json tokenizer_config.json; do
  ln -s "$FOLIO_SHARED/fixtures/tokenizer/deepseek-v3/$f" "$mdir/$f"
done
printf 'a b c' | "$FOLIO_BIN" tokenize --model "$mdir" > "$tmp/abc.json"
"$FOLIO_BIN" generate --model "$mdir" --input-ids "$tmp/abc.json" --greedy 6 > "$tmp/g1.json"
"$FOLIO_BIN" generate --model "$mdir" "a b c" --greedy 6 > "$tmp/g2.json"
check "text prompt = its token ids" "[ -s '$tmp/g1.json' ] && cmp -s '$tmp/g1.json' '$tmp/g2.json'"
"$FOLIO_BIN" generate --model "$mdir" "a b c" -n 6 --temperature 0 > "$tmp/t.txt"
check "text generation" "[ $? -eq 0 ] && [ -s '$tmp/t.txt' ]"
"$FOLIO_BIN" generate --model "$mdir" --chat "a b c" -n 2 > /dev/null 2> "$tmp/err.txt"
check "chat ids outside the tiny vocabulary refused" \
  "[ $? -eq 1 ] && grep -q 'outside the vocabulary' '$tmp/err.txt'"
# --kv-type bf16: logits near the reference; its prefix-cache blocks are kept apart from the
# float32 ones (a float32 run never takes them, a bf16 run does); model info counts its bytes.
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["input_ids"]))' \
  "$dir/golden.json" > "$tmp/ids.json"
"$FOLIO_BIN" generate --model "$dir" --input-ids "$tmp/ids.json" --logits-out "$tmp/lgb.bin" \
  --kv-type bf16 --greedy 1 --no-kv-cache > /dev/null 2>&1
check "kv bf16: logits within 0.1" "python3 - '$dir/golden.safetensors' '$tmp/lgb.bin' <<'PY'
import json, struct, sys
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
a, b = json.loads(raw[8:8 + n])['logits_full']['data_offsets']
gold = struct.unpack('<%df' % ((b - a) // 4), raw[8 + n + a:8 + n + b])
mine = open(sys.argv[2], 'rb').read()
mine = struct.unpack('<%df' % (len(mine) // 4), mine)
err = max(abs(x - y) for x, y in zip(mine, gold)) / max(abs(y) for y in gold)
print('kv bf16 rel', err)
sys.exit(0 if len(mine) == len(gold) and 1e-6 < err < 0.1 else 1)
PY"
kvd="$tmp/kvsep"
for t in bf16 f32 bf16; do
  "$FOLIO_BIN" generate --model "$dir" --input-ids "$tmp/ids.json" --greedy 2 --kv-type $t \
    --kv-dir "$kvd" --verbose > /dev/null 2> "$tmp/kv-$t.txt"
done
check "kv bf16 blocks: not taken by a float32 run" "grep -q 'cached_tokens=0 ' '$tmp/kv-f32.txt'"
check "kv bf16 blocks: taken by a bf16 run" "grep -Eq 'cached_tokens=[1-9]' '$tmp/kv-bf16.txt'"
"$FOLIO_BIN" generate --model "$dir" --input-ids "$tmp/ids.json" --kv-type f16 > /dev/null 2>&1
check "unknown --kv-type: usage" "[ $? -eq 2 ]"
"$FOLIO_BIN" model info "$dir" --json > "$tmp/i32.json"
"$FOLIO_BIN" model info "$dir" --json --kv-type bf16 > "$tmp/i16.json"
check "model info --kv-type bf16" "python3 - '$tmp/i32.json' '$tmp/i16.json' <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sys.exit(0 if b['kv_dtype'] == 'bfloat16' and a['kv_dtype'] == 'float32' and
         2 * b['kv_bytes_per_token'] == a['kv_bytes_per_token'] else 1)
PY"
rm -rf "$tmp"
exit $fail
