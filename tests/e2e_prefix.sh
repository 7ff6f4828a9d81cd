#!/usr/bin/env bash
# tests/e2e_prefix.sh: the prefix cache through `folio generate` in separate processes on the
# engine fixtures: a second run takes the prompt's full 64-token blocks from the block files
# (<kv-dir>/<fingerprint>/<hash>.kvb) and gives the same greedy tokens; damaged or foreign files
# are ignored; --no-kv-cache, the memory and disk budgets, the XDG default folder; and --doc
# questions through the context packer (with a tokenizer cut to the tiny vocabulary) reusing the
# documents' blocks.
set -u
: "${FOLIO_BIN:?}" "${FOLIO_SHARED:?}" "${FOLIO_TEST_TMP:?}"
tmp=$(mktemp -d "$FOLIO_TEST_TMP/e2e_prefix.XXXXXX")
export XDG_CACHE_HOME="$tmp/xdg"
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; fail=1; fi; }
# field NAME FILE: the value of NAME=... on the stats or kv_cache line of FILE.
field() { grep -o "[ :]$1=[^ ]*" "$2" | head -n 1 | cut -d= -f2; }

fx="$FOLIO_SHARED/fixtures/engine/tiny-v3"
# golden FILE KEY [N]: golden.json's KEY (its first N entries) as a JSON array without spaces.
golden() {
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]
print(json.dumps(v[:int(sys.argv[3])] if len(sys.argv) > 3 else v, separators=(",", ":")))' "$@"
}
golden "$fx/golden.json" input_ids > "$tmp/ids.json"                        # 192 tokens
golden "$fx/golden.json" input_ids 150 > "$tmp/ids150.json"
golden "$fx/golden.json" greedy_tokens 16 > "$tmp/want.json"

# gen NAME ARGS...: greedy 16 on tiny-v3; ids to $tmp/NAME.json, stderr to $tmp/NAME.err.
gen() {
  local name=$1; shift
  "$FOLIO_BIN" generate --model "$fx" --greedy 16 --verbose "$@" > "$tmp/$name.json" \
    2> "$tmp/$name.err"
  local rc=$?
  tr -d ' ' < "$tmp/$name.json" > "$tmp/$name.t" && mv "$tmp/$name.t" "$tmp/$name.json"
  return $rc
}
same() { cmp -s "$tmp/$1.json" "$tmp/$2.json"; }
cached() { [ "$(field cached_tokens "$tmp/$1.err")" = "$2" ]; }

kv="$tmp/kv"
gen r1 --input-ids "$tmp/ids.json" --kv-dir "$kv"
check "run 1: empty cache, cached_tokens=0" "[ $? -eq 0 ] && cached r1 0"
check "run 1: golden greedy tokens" "same r1 want"
check "run 1: three blocks written" \
  "[ \$(field stored '$tmp/r1.err') = 3 ] && [ \$(ls '$kv'/*/*.kvb | wc -l) = 3 ]"
gen r2 --input-ids "$tmp/ids.json" --kv-dir "$kv"
check "run 2 (new process): cached_tokens=128 from disk" \
  "[ $? -eq 0 ] && cached r2 128 && [ \$(field hits_disk '$tmp/r2.err') = 2 ]"
check "run 2: same tokens" "same r2 want"
# The 128 cached tokens are lent to the session as pages: its own cache is smaller by them.
own1=$(field kv_owned_bytes "$tmp/r1.err"); own2=$(field kv_owned_bytes "$tmp/r2.err")
blk=$(field block_bytes "$tmp/r2.err")
check "run 2: the cached prefix costs the session no memory ($own2 vs $own1 bytes owned)" \
  "[ -n '$own1' ] && [ -n '$own2' ] && [ -n '$blk' ] && [ $own2 -gt 0 ] && [ \$((own1 - own2)) -ge \$((2 * blk)) ]"
gen p1 --input-ids "$tmp/ids150.json" --kv-dir "$kv"
gen p2 --input-ids "$tmp/ids150.json" --no-kv-cache
check "150-token prefix (off a block boundary): 128 cached, tokens as without the cache" \
  "cached p1 128 && cached p2 0 && [ -s '$tmp/p1.json' ] && same p1 p2"

# --logits-out computes every position: the same bytes with a full cache and without one.
gen l1 --input-ids "$tmp/ids.json" --kv-dir "$kv" --logits-out "$tmp/l1.bin"
gen l2 --input-ids "$tmp/ids.json" --no-kv-cache --logits-out "$tmp/l2.bin"
check "--logits-out: cached_tokens=0, same logits and tokens as without the cache" \
  "cached l1 0 && [ -s '$tmp/l1.bin' ] && cmp -s '$tmp/l1.bin' '$tmp/l2.bin' && same l1 want"

# The block files in chain order (block 0 has the zero parent; header: hash at 40, parent at 56).
chain() {
  python3 - "$1" <<'PY'
import os, sys
d = sys.argv[1]
by_parent = {}
for f in os.listdir(d):
    if f.endswith('.kvb'):
        h = open(os.path.join(d, f), 'rb').read(72)
        by_parent[h[56:72]] = (h[40:56], os.path.join(d, f))
p = bytes(16)
while p in by_parent:
    p, f = by_parent[p]
    print(f)
PY
}
mdir=$(ls -d "$kv"/*/)
mapfile -t blk < <(chain "$mdir")
check "the block files form one chain of 3" "[ \${#blk[@]} = 3 ]"
truncate -s 1000 "${blk[1]}"
gen c1 --input-ids "$tmp/ids.json" --kv-dir "$kv"
check "truncated block 1: ignored, 64 cached, same tokens" \
  "cached c1 64 && [ \$(field disk_rejected '$tmp/c1.err') = 1 ] && same c1 want"
gen c2 --input-ids "$tmp/ids.json" --kv-dir "$kv"
check "block 1 recomputed and rewritten: 128 cached" "cached c2 128 && same c2 want"
flip() { # flip one byte at offset $2 of file $1
  python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(int(sys.argv[2])); b=f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0]^0x40]))' "$1" "$2"; }
flip "${blk[0]}" 5000
gen c3 --input-ids "$tmp/ids.json" --kv-dir "$kv"
check "a flipped payload byte in block 0: ignored, 0 cached, same tokens" \
  "cached c3 0 && [ \$(field disk_rejected '$tmp/c3.err') = 1 ] && same c3 want"
mapfile -t blk < <(chain "$mdir")
flip "${blk[1]}" 100 # a token id in the header
gen c4 --input-ids "$tmp/ids.json" --kv-dir "$kv"
check "a flipped header byte in block 1: 64 cached, same tokens" "cached c4 64 && same c4 want"
# A block of another model put under the name of this model's block 0.
fx2="$FOLIO_SHARED/fixtures/engine/tiny-v2lite-bf16"
golden "$fx2/golden.json" input_ids > "$tmp/ids2.json"
"$FOLIO_BIN" generate --model "$fx2" --input-ids "$tmp/ids2.json" --greedy 1 --kv-dir "$tmp/kv2" \
  > /dev/null 2>&1
mapfile -t other < <(chain "$(ls -d "$tmp"/kv2/*/)")
mapfile -t blk < <(chain "$mdir")
cp "${other[0]}" "${blk[0]}"
gen c5 --input-ids "$tmp/ids.json" --kv-dir "$kv"
check "another model's block file: ignored, 0 cached, same tokens" \
  "[ -n '${other[0]:-}' ] && cached c5 0 && [ \$(field disk_rejected '$tmp/c5.err') = 1 ] \
   && same c5 want"

# --speculative computes the whole prompt (the MTP layer has no cached rows) and keeps its drafts.
mtp="$FOLIO_SHARED/fixtures/engine/tiny-v3-mtp"
golden "$mtp/golden.json" input_ids > "$tmp/mids.json"                     # 128 tokens
for r in s1 s2; do
  "$FOLIO_BIN" generate --model "$mtp" --input-ids "$tmp/mids.json" --greedy 24 --speculative \
    --verbose --kv-dir "$kv" > "$tmp/$r.json" 2> "$tmp/$r.err"
done
"$FOLIO_BIN" generate --model "$mtp" --input-ids "$tmp/mids.json" --greedy 24 --verbose \
  --kv-dir "$kv" > "$tmp/s3.json" 2> "$tmp/s3.err"
check "--speculative: not read from the cache, same drafts; the blocks it wrote are reused" \
  "cached s2 0 && grep -q '^speculative: drafts=15 accepted=8$' '$tmp/s2.err' && cached s3 64 \
   && [ -s '$tmp/s1.json' ] && cmp -s '$tmp/s1.json' '$tmp/s2.json' \
   && [ \"\$(tr -d ' ' < '$tmp/s1.json')\" = \"\$(tr -d ' ' < '$tmp/s3.json')\" ]"

gen n1 --input-ids "$tmp/ids.json" --no-kv-cache --kv-dir "$tmp/none"
check "--no-kv-cache: 0 cached, nothing written" \
  "cached n1 0 && grep -q '^kv_cache: off' '$tmp/n1.err' && [ ! -e '$tmp/none' ] && same n1 want"

# Memory budget of one block (147456 bytes of rows + bookkeeping): every block still reaches the
# disk, and the next run reads them back one at a time.
gen m1 --input-ids "$tmp/ids.json" --kv-dir "$tmp/kvm" --kv-mem 150K
check "--kv-mem 150K: within budget, one block resident, three stored" \
  "[ \$(field mem_used '$tmp/m1.err') -le 153600 ] \
   && [ \$(field mem_budget '$tmp/m1.err') = 153600 ] \
   && [ \$(field blocks '$tmp/m1.err') = 1 ] && [ \$(field evicted_mem '$tmp/m1.err') -ge 2 ] \
   && [ \$(ls '$tmp'/kvm/*/*.kvb | wc -l) = 3 ] && same m1 want"
gen m2 --input-ids "$tmp/ids.json" --kv-dir "$tmp/kvm" --kv-mem 150K
check "--kv-mem 150K, run 2: 128 cached through one block of memory" \
  "cached m2 128 && [ \$(field mem_used '$tmp/m2.err') -le 153600 ] && same m2 want"
gen m3 --input-ids "$tmp/ids.json" --kv-dir "$tmp/kvm" --kv-mem 100K
check "--kv-mem below one block: refused" "[ $? -eq 1 ] && grep -q 'below one block' '$tmp/m3.err'"
gen d1 --input-ids "$tmp/ids.json" --kv-dir "$tmp/kvd" --kv-disk 300K
check "--kv-disk 300K (two files): within budget" \
  "[ \$(field disk_used '$tmp/d1.err') -le 307200 ] && [ \$(ls '$tmp'/kvd/*/*.kvb | wc -l) -le 2 ] \
   && [ \$(field evicted_disk '$tmp/d1.err') -ge 1 ] && same d1 want"

gen x1 --input-ids "$tmp/ids.json"
gen x2 --input-ids "$tmp/ids.json"
check "default folder \$XDG_CACHE_HOME/folio/kv/<fingerprint>: reused" \
  "cached x1 0 && cached x2 128 && ls '$XDG_CACHE_HOME'/folio/kv/*/*.kvb > /dev/null 2>&1 \
   && [ \"\$(field dir '$tmp/x2.err')\" = \"\$(ls -d '$XDG_CACHE_HOME'/folio/kv/*)\" ]"

"$FOLIO_BIN" generate --model "$fx" --input-ids "$tmp/ids.json" --ctx 300 > /dev/null \
  2> "$tmp/ctx.err"
check "--ctx beyond the model's context: refused" "[ $? -eq 1 ] && grep -q '256' '$tmp/ctx.err'"
python3 -c 'print(list(range(3, 259)))' > "$tmp/long.json"
"$FOLIO_BIN" generate --model "$fx" --input-ids "$tmp/long.json" -n 2 > /dev/null 2> "$tmp/long.err"
check "a prompt as long as the context: refused with the numbers, nothing cut" \
  "[ $? -eq 1 ] && grep -q '256 tokens' '$tmp/long.err' \
   && grep -q 'nothing was cut' '$tmp/long.err'"

# ---- --doc: the tiny-v3 weights with the DeepSeek-V3 tokenizer cut to ids < 996 (merges whose
# result is cut are dropped, so words split into kept pieces) and <｜User｜>, <｜Assistant｜>
# moved to 996 and 997, so that packed prompts, chat format included, fit the tiny vocabulary.
m="$tmp/model"
mkdir "$m"
for f in config.json model.safetensors.index.json model-00001-of-00002.safetensors \
         model-00002-of-00002.safetensors; do ln -s "$fx/$f" "$m/$f"; done
python3 - "$FOLIO_SHARED/fixtures/tokenizer/deepseek-v3" "$m" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
t = json.load(open(src + '/tokenizer.json'))
keep = 996
t['model']['vocab'] = {s: i for s, i in t['model']['vocab'].items() if i < keep}
v = t['model']['vocab']
t['model']['merges'] = [m for m in t['model']['merges']
                        if (m if isinstance(m, str) else ' '.join(m)).replace(' ', '') in v]
moved = {'<｜User｜>': keep, '<｜Assistant｜>': keep + 1}
for a in t['added_tokens']:
    a['id'] = moved.get(a['content'], a['id'])
t['added_tokens'] = [a for a in t['added_tokens'] if a['id'] < keep + 2]
json.dump(t, open(dst + '/tokenizer.json', 'w'), ensure_ascii=False)
c = json.load(open(src + '/tokenizer_config.json'))
json.dump(c, open(dst + '/tokenizer_config.json', 'w'), ensure_ascii=False)
PY
python3 - "$tmp" <<'PY'
import random, sys
r = random.Random(5)
words = 'the cat is on a mat and it was not in of to by at or'.split()
for name, n in (('a.txt', 70), ('b.txt', 60)):
    open(sys.argv[1] + '/' + name, 'w').write(' '.join(r.choice(words) for _ in range(n)) + '\n')
PY
mkdir "$tmp/elsewhere" && cp "$tmp/a.txt" "$tmp/elsewhere/a.txt"
# ask NAME ARGS...: a greedy answer of 8 tokens; text to $tmp/NAME.json, stderr to $tmp/NAME.err.
ask() {
  local name=$1; shift
  "$FOLIO_BIN" generate --model "$m" -n 8 --temperature 0 --verbose --kv-dir "$tmp/kvdoc" "$@" \
    > "$tmp/$name.json" 2> "$tmp/$name.err"
}
# The shared prefix as the packer lays it out: head (BOS + system + blank line), then each
# document as "Document: <file name>\n<text>\n\n" in file-name order, each tokenized alone.
tok() {
  "$FOLIO_BIN" tokenize --model "$m" --no-bos "$@" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
head_n=$(printf '<｜begin▁of▁sentence｜>Be brief.\n\n' | tok --special)
docs_n=0
for d in a.txt b.txt; do
  k=$({ printf 'Document: %s\n' $d; cat "$tmp/$d"; printf '\n\n'; } | tok)
  docs_n=$((docs_n + k))
done
shared=$(( (head_n + docs_n) / 64 * 64 ))
ask q1 --system "Be brief." --doc "$tmp/a.txt" --doc "$tmp/b.txt" "Where is the cat?"
check "--doc question 1: cached_tokens=0" "[ $? -eq 0 ] && cached q1 0"
ask q2 --system "Be brief." --doc "$tmp/b.txt" --doc "$tmp/elsewhere/a.txt" \
  "What is on the mat now?"
check "--doc question 2 (other order, folder): the documents' $shared full-block tokens cached" \
  "[ $? -eq 0 ] && [ $shared -ge 128 ] && cached q2 $shared"
ask q3 --system "Be brief." --doc "$tmp/a.txt" --doc "$tmp/b.txt" "Where is the cat?"
ask q4 --system "Be brief." --doc "$tmp/a.txt" --doc "$tmp/b.txt" "Where is the cat?" --no-kv-cache
check "--doc question 1 again: same answer from the cache as without it" \
  "[ \$(field cached_tokens '$tmp/q3.err') -ge $shared ] && cached q4 0 && [ -s '$tmp/q3.json' ] \
   && cmp -s '$tmp/q1.json' '$tmp/q3.json' && cmp -s '$tmp/q3.json' '$tmp/q4.json'"
ask q5 --chat --doc "$tmp/a.txt" "Where is the cat?"
ask q6 --chat --doc "$tmp/a.txt" "Is it on the mat?"
check "--doc --chat: the second question reuses the document" \
  "cached q5 0 && [ \$(field cached_tokens '$tmp/q6.err') -ge 64 ]"
cat "$tmp/a.txt" "$tmp/a.txt" "$tmp/a.txt" "$tmp/b.txt" > "$tmp/long.txt"
ask q7 --doc "$tmp/long.txt" "Where?"
check "--doc longer than the context: refused with the numbers" \
  "[ $? -eq 1 ] && grep -q 'documents [0-9]*' '$tmp/q7.err' \
   && grep -q 'nothing was cut' '$tmp/q7.err'"
ask q8 --doc "$FOLIO_BIN" "Where?"
check "--doc on a binary file: refused" "[ $? -eq 1 ] && grep -q 'not a text file' '$tmp/q8.err'"
ask q9 --doc "$tmp/a.txt" --input-ids "$tmp/ids.json"
check "--doc with --input-ids: usage" "[ $? -eq 2 ]"
"$FOLIO_BIN" generate --help > "$tmp/help.txt"
check "help names the cache and --doc options" \
  "(for o in --doc --kv-dir --kv-mem --kv-disk --no-kv-cache; do
      grep -q -- \$o '$tmp/help.txt' || exit 1
    done)"

[ $fail -eq 0 ] && rm -rf "$tmp"
exit $fail
