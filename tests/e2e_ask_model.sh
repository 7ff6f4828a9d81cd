#!/usr/bin/env bash
# tests/e2e_ask_model.sh: folio ask with a model, end to end on a generated tiny checkpoint in
# the real format (the tiny-v3 weights, random, with its context stretched to 4096 by YaRN and
# the DeepSeek-V3 tokenizer cut to the tiny vocabulary): the answer streams, --json holds the
# context numbers, the second question about the same document finds every full block before
# the question in the cache, a prompt over the context is refused with both numbers, documents
# too long for the context give way to the best passages with the rest named, Ctrl-C stops
# generation and leaves the cache consistent, and a model too large for memory is refused
# before loading. The text is garbage (random weights); the mechanics are what is checked.
set -u
: "${FOLIO_BIN:?}" "${FOLIO_SHARED:?}"
fx=$FOLIO_SHARED/fixtures/engine/tiny-v3
[ -f "$fx/config.json" ] || { echo "engine fixtures missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_ask_model.XXXXXX")
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
unset FOLIO_MODEL FOLIO_CTX
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
jget() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): j=j[k]
print(j)' "$1" "$2"; }

m=$T/model
python3 "$(dirname "$0")/make_tiny_model.py" "$fx" "$FOLIO_SHARED/fixtures/tokenizer/deepseek-v3" \
  "$m" --ctx 4096

L=$T/lib
mkdir -p "$L"
printf 'Lease terms\n\nThe lease ends after two years.\nEither party may terminate it on notice.\n' \
  >"$L/lease.txt"
python3 - "$L/long.txt" <<'PY'
import random, sys
r = random.Random(7)
w = 'the lease rent term notice party ends terminate pays tenant owner on of in'.split()
paras = [' '.join(r.choice(w) for _ in range(120)) + '.' for _ in range(12)]
open(sys.argv[1], 'w').write('\n\n'.join(paras) + '\n')
PY
"$FOLIO_BIN" index "$L" >/dev/null 2>&1
cd "$L" || exit 1
ask() { "$FOLIO_BIN" ask --model "$m" "$@"; }

ask "When does the lease end?" --in lease.txt >"$T/t1.out" 2>"$T/t1.err"
rc=$?
check "text mode: exit 0, the answer streamed to stdout, the context line on stderr" \
  '[ $rc -eq 0 ] && [ -s "$T/t1.out" ] && grep -q "tokens packed" "$T/t1.err"'
check "the streamed text went through the sanitizer (no raw control bytes)" \
  '! LC_ALL=C grep -q "[[:cntrl:]]" <(tr -d "\n\t" <"$T/t1.out")'
ask "Can a party terminate the lease?" --in lease.txt --json >"$T/q1.json" 2>"$T/q1.err"
ask "What happens on notice?" --in lease.txt --json >"$T/q2.json" 2>"$T/q2.err"
check "--json: mode model, the context's numbers" 'python3 - "$T/q1.json" <<'"'PY'"'
import json, sys
j = json.load(open(sys.argv[1]))
assert list(j) == ["question", "mode", "answer", "citations", "context"]
assert j["mode"] == "model" and isinstance(j["answer"], str) and j["answer"]
c = j["context"]
assert c["max_tokens"] == 4096 and 0 < c["tokens"] < 4096 and c["left_out"] == 0, c
for x in j["citations"]:   # only citations that were checked against the context
    assert x["path"] == "lease.txt" and x["text"], x
PY'
q_at=$(grep -o "question starts at token [0-9]*" "$T/q2.err" | grep -o "[0-9]*$")
c2=$(jget "$T/q2.json" context.cached_tokens)
check "second question: every full block before the question cached ($c2 >= $q_at/64*64)" \
  '[ -n "$q_at" ] && [ "$q_at" -ge 64 ] && [ "$c2" -ge $((q_at / 64 * 64)) ]'

ask "When does the lease end?" --in lease.txt --ctx 100 >/dev/null 2>"$T/over.err"
rc=$?
check "over the context: refused with both numbers" \
  '[ $rc -eq 1 ] && grep -q "is [0-9]* tokens, but the context holds 100" "$T/over.err"'
ask "When does the tenant pay rent?" --in long.txt --ctx 2560 -k 3 --json >"$T/l.json" 2>"$T/l.err"
rc=$?
check "documents over the context: the best passages instead, the rest named" \
  '[ $rc -eq 0 ] && grep -q "best passages are used instead" "$T/l.err" &&
   [ "$(jget "$T/l.json" context.left_out)" = "$(grep -c "left out (did not fit)" "$T/l.err")" ]'

# Ctrl-C in the middle of the answer, then the same question again: same answer as with an
# empty cache, so what the interrupted run left in the cache is consistent.
long_q="Summarize every obligation of the tenant and of the owner"
XDG_CACHE_HOME=$T/cache-int "$FOLIO_BIN" ask --model "$m" "$long_q" --in long.txt \
  >"$T/int.out" 2>"$T/int.err" &
pid=$!
for _ in $(seq 600); do [ -s "$T/int.out" ] && break; sleep 0.1; done
kill -INT $pid
wait $pid
rc=$?
check "Ctrl-C stops the answer: exit 1, said so" '[ $rc -eq 1 ] && grep -q "stopped" "$T/int.err"'
XDG_CACHE_HOME=$T/cache-int ask "$long_q" --in long.txt --json >"$T/r1.json" 2>/dev/null
XDG_CACHE_HOME=$T/cache-fresh ask "$long_q" --in long.txt --json >"$T/r2.json" 2>/dev/null
check "after Ctrl-C the cache gives the same answer as an empty one" \
  '[ "$(jget "$T/r1.json" context.cached_tokens)" -gt 0 ] &&
   [ "$(jget "$T/r1.json" answer)" = "$(jget "$T/r2.json" answer)" ]'

# Esc on the terminal stops it too (a terminal from tmux, when there is one).
if command -v tmux >/dev/null; then
  sock=ask$$
  tmux -L "$sock" new-session -d -x 120 -y 30 "XDG_CACHE_HOME=$T/cache-esc '$FOLIO_BIN' ask \
    --model '$m' '$long_q' --in long.txt >'$T/esc.out' 2>'$T/esc.err'; echo rc=\$? >>'$T/esc.err'"
  for _ in $(seq 600); do [ -s "$T/esc.out" ] && break; sleep 0.1; done
  tmux -L "$sock" send-keys Escape
  for _ in $(seq 600); do grep -q "rc=" "$T/esc.err" 2>/dev/null && break; sleep 0.1; done
  tmux -L "$sock" kill-server 2>/dev/null
  check "Esc stops the answer: exit 1, said so" \
    'grep -q "rc=1" "$T/esc.err" && grep -q "stopped" "$T/esc.err"'
fi

# ---- summarize with the model ----
"$FOLIO_BIN" summarize lease.txt --model "$m" --json --length short >"$T/s1.json" 2>"$T/s1.err"
rc=$?
check "summarize: one pass over a document that fits" 'python3 - "$T/s1.json" <<'"'PY'"'
import json, sys
j = json.load(open(sys.argv[1]))
assert list(j) == ["file", "mode", "pages", "sections"] and j["mode"] == "model"
assert len(j["sections"]) == 1 and j["sections"][0]["pages"] == [1, 1], j["sections"]
assert list(j["sections"][0]) == ["heading", "pages", "summary", "sentences"]
PY'
FOLIO_CTX=2048 "$FOLIO_BIN" summarize long.txt --model "$m" --json --length short \
  >"$T/s2.json" 2>"$T/s2.err"
rc=$?
check "summarize: longer than the context, by parts (map) and one of them all (reduce)" \
  '[ $rc -eq 0 ] && python3 -c "
import json; j=json.load(open(\"$T/s2.json\")); s=j[\"sections\"]
assert len(s) >= 3 and s[0][\"heading\"] is None and all(x[\"summary\"] for x in s), len(s)"'
n_sum=$(ls "$XDG_CACHE_HOME/folio/summaries" | wc -l)
t0=$(date +%s%N)
FOLIO_CTX=2048 "$FOLIO_BIN" summarize long.txt --model "$m" --json --length short >"$T/s3.json" 2>/dev/null
t1=$(date +%s%N)
check "summarize again: resumed from the kept summaries (same output, nothing new kept)" \
  'cmp -s "$T/s2.json" "$T/s3.json" && [ "$(ls "$XDG_CACHE_HOME/folio/summaries" | wc -l)" = "$n_sum" ]'
echo "  (first run by parts vs resumed: $(( (t1 - t0) / 1000000 )) ms for the second)"

big=$T/big
mkdir -p "$big"
python3 - "$fx/config.json" "$big/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(hidden_size=7168, intermediate_size=18432, moe_intermediate_size=2048,
         num_hidden_layers=61, n_routed_experts=256, vocab_size=129280)
json.dump(c, open(sys.argv[2], 'w'))
PY
ask "When does the lease end?" --model "$big" --in lease.txt >/dev/null 2>"$T/big.err"
rc=$?
check "a model too large for memory: refused before loading, with the numbers" \
  '[ $rc -eq 1 ] && grep -q "needs about [0-9.]* GiB.*GiB of memory is available" "$T/big.err"'

rm -rf "$T"
echo "$fails failed"
[ $fails -eq 0 ]
