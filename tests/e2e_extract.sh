#!/usr/bin/env bash
# tests/e2e_extract.sh: folio extract end to end: the --format json contract (keys, types, page
# null for text), --category, the folder matrix (CSV and Markdown, one row per contract, a bad
# file reported and the rest kept), bad input (scan, encrypted, not a PDF, not a contract),
# escapes in a contract never reaching the terminal, the built-in data from any folder, and a
# 300-page agreement in bounded time.
set -u
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs
[ -d "$S/contracts/pdf" ] || { echo "fixtures missing"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_extract.XXXXXX")
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
unset FOLIO_MODEL
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

PDF=$(ls "$S"/contracts/pdf/*Strategic_Alliance*.pdf)
TXT=$(ls "$S"/contracts/txt/*Strategic_Alliance*.txt)

# ---- the JSON contract ----
"$F" extract "$PDF" --format json >"$T/one.json" 2>"$T/one.err"
check "json: exit 0" '[ $? -eq 0 ]'
cat >"$T/shape.py" <<'EOF'
import json, sys
want_page = sys.argv[2]
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "one object on one line"
o = json.loads(lines[0])
assert list(o) == ["file", "mode", "clauses"], list(o)
assert isinstance(o["file"], str) and o["mode"] == "rules"
assert len(o["clauses"]) > 0
seen = []
for c in o["clauses"]:
    assert list(c) == ["category", "text", "page", "line_start", "line_end", "answer",
                       "confidence"], list(c)
    assert isinstance(c["category"], str) and isinstance(c["text"], str) and c["text"]
    if want_page == "int":
        assert isinstance(c["page"], int) and c["page"] >= 1
    else:
        assert c["page"] is None
    assert isinstance(c["line_start"], int) and isinstance(c["line_end"], int)
    assert 1 <= c["line_start"] <= c["line_end"]
    assert c["answer"] is None or isinstance(c["answer"], str)
    assert isinstance(c["confidence"], float) and 0 <= c["confidence"] <= 1
    if c["category"] not in seen:
        seen.append(c["category"])
    else:
        assert seen[-1] == c["category"], "a category's clauses are together"
print(" ".join(sorted(set(c["category"] for c in o["clauses"]))))
EOF
check "json: exact keys and types (PDF: page is an int)" 'python3 "$T/shape.py" "$T/one.json" int >"$T/cats"'
check "json: Governing Law found" 'grep -q "Governing Law" "$T/cats"'
check "json: agreement date normalized to ISO 8601" \
  'python3 -c "import json,sys; o=json.load(open(sys.argv[1])); assert any(c[\"category\"]==\"Agreement Date\" and c[\"answer\"]==\"2018-01-10\" for c in o[\"clauses\"])" "$T/one.json"'
"$F" extract "$TXT" --format json >"$T/txt.json"
check "json: a text file has page null" 'python3 "$T/shape.py" "$T/txt.json" null >/dev/null'
"$F" extract "$PDF" --format json --category "governing law" --category Parties >"$T/cat.json"
check "--category keeps only those categories" \
  'python3 -c "import json,sys; o=json.load(open(sys.argv[1])); s={c[\"category\"] for c in o[\"clauses\"]}; assert s=={\"Governing Law\",\"Parties\"}, s" "$T/cat.json"'
"$F" extract "$PDF" --category "No Such Thing" >/dev/null 2>"$T/nocat.err"
check "an unknown category is a usage error naming it" '[ $? -eq 2 ] && grep -q "No Such Thing" "$T/nocat.err"'
"$F" extract "$PDF" --format xml >/dev/null 2>&1
check "an unknown format is a usage error" '[ $? -eq 2 ]'
"$F" extract --list >"$T/list"
check "--list shows 41 categories" '[ $(wc -l <"$T/list") -eq 41 ]'

# ---- the built-in data works from any folder ----
(cd / && "$F" extract "$PDF" --format json >"$T/root.json")
check "from another folder: the same result" 'cmp -s "$T/one.json" "$T/root.json"'

# ---- the folder matrix, with a broken file among the contracts ----
mkdir -p "$T/folder"
cp "$S"/contracts/pdf/*.pdf "$T/folder/"
cp "$S/broken/truncated-at-50pct.pdf" "$T/folder/zz-broken.pdf"
"$F" extract "$T/folder" --format csv >"$T/m.csv" 2>"$T/m.err"
rc=$?
check "matrix: exit 1 when a contract could not be read" '[ $rc -eq 1 ]'
check "matrix: the broken file is named on stderr" 'grep -q "zz-broken.pdf" "$T/m.err"'
check "matrix csv: a header and 6 rows of 42 cells" \
  'python3 -c "import csv,sys; r=list(csv.reader(open(sys.argv[1]))); assert len(r)==7 and all(len(x)==42 for x in r), [len(x) for x in r]; assert r[0][1]==\"Document Name\"" "$T/m.csv"'
check "matrix csv: a cell cites its page" 'grep -q "(p\. [0-9]*)" "$T/m.csv"'
"$F" extract "$T/folder" --format md --category "Governing Law" >"$T/m.md" 2>/dev/null
check "matrix md: header, rule and 6 rows" '[ $(grep -c "^|" "$T/m.md") -eq 8 ]'
check "matrix md: Delaware for the license" 'grep -q "Delaware" "$T/m.md"'
"$F" extract "$T/folder" --format json >"$T/m.jsonl" 2>/dev/null
check "folder json: one object per readable contract" '[ $(wc -l <"$T/m.jsonl") -eq 5 ]'

# ---- bad input: each a clear error naming the file, or an empty result ----
"$F" extract "$S/pdfs/files/texlive-publishers-doc__veraPDFnoconformance.pdf" 2>"$T/scan.err"
check "a scan: exit 1, says to run OCR" '[ $? -eq 1 ] && grep -q "no text layer" "$T/scan.err" && grep -q "OCR" "$T/scan.err"'
"$F" extract "$S/broken/encrypted-user-password.pdf" 2>"$T/enc.err"
check "an encrypted PDF: exit 1, says so" '[ $? -eq 1 ] && grep -q "password" "$T/enc.err"'
"$F" extract "$S/broken/not-a-pdf-png.pdf" 2>"$T/png.err"
check "a PNG named .pdf: exit 1" '[ $? -eq 1 ] && grep -q "not a PDF" "$T/png.err"'
"$F" extract "$S/pdfs/files/texlive-latex-base-doc__tabularx.pdf" --format json >"$T/nc.json"
check "not a contract: exit 0, few clauses" \
  '[ $? -eq 0 ] && python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))[\"clauses\"]) <= 3" "$T/nc.json"'
"$F" extract "$T/nonexistent.pdf" 2>/dev/null
check "a missing file: exit 1" '[ $? -eq 1 ]'

# ---- escapes in a contract reach the terminal only as control pictures ----
printf 'HOSTILE AGREEMENT\n\nThis Agreement shall be governed by the laws of the State of Ohio \033]0;pwned\007\033[31m now.\n' >"$T/hostile.txt"
"$F" extract "$T/hostile.txt" >"$T/hostile.out"
check "text output holds no raw ESC or BEL" '! grep -q $'"'"'\033'"'"' "$T/hostile.out" && ! grep -q $'"'"'\007'"'"' "$T/hostile.out"'
check "text output still shows the clause" 'grep -q "governed by the laws" "$T/hostile.out"'
"$F" extract "$T/hostile.txt" --format csv >"$T/hostile.csv"
check "csv output holds no raw ESC" '! grep -q $'"'"'\033'"'"' "$T/hostile.csv"'

# ---- a 300-page agreement in bounded time ----
python3 - "$S/contracts/txt" "$T/long.txt" <<'EOF'
import os, sys
src = [open(os.path.join(sys.argv[1], f), encoding="utf-8", errors="replace").read()
       for f in sorted(os.listdir(sys.argv[1]))]
out, size = [], 0
while size < 300 * 3000:  # about 3000 characters a page
    for s in src:
        out.append(s)
        size += len(s)
open(sys.argv[2], "w").write("\n\n".join(out))
EOF
start=$(date +%s)
timeout 120 "$F" extract "$T/long.txt" --format json >"$T/long.json"
rc=$?
took=$(( $(date +%s) - start ))
check "300 pages of text: done in ${took}s (limit 60)" '[ $rc -eq 0 ] && [ $took -le 60 ]'

# ---- with a model: the tiny-v3 weights (random: garbage answers) and the DeepSeek-V3 tokenizer
# cut to its 1000 ids, as in e2e_prefix.sh. The pipeline must run, put the contract in one
# context reused by every question, report unparsable replies, and keep the JSON contract.
fx=${FOLIO_SHARED}/fixtures/engine/tiny-v3
tk=${FOLIO_SHARED}/fixtures/tokenizer/deepseek-v3
if [ -f "$fx/config.json" ] && [ -f "$tk/tokenizer.json" ]; then
  M=$T/model
  python3 "$(dirname "$0")/make_tiny_model.py" "$fx" "$tk" "$M"
  printf 'LEASE\n\nThis lease is governed by the laws of Ohio.\n' >"$T/lease.txt"
  printf '%s\n' '[Governing Law]' 'kind = fact' 'answer = jurisdiction' 'define = Whose law governs.' \
    'phrase 6 = governed by' 'threshold = 6' '[Audit Rights]' 'define = Audits.' \
    'phrase 8 = audit' 'threshold = 8' >"$T/two.txt"
  "$F" extract "$T/lease.txt" --model "$M" --rules "$T/two.txt" --format json --verbose \
    >"$T/model.json" 2>"$T/model.err"
  check "model: exit 0" '[ $? -eq 0 ]'
  check "model: mode is model, the JSON contract kept" \
    'python3 -c "import json,sys; o=json.load(open(sys.argv[1])); assert list(o)==[\"file\",\"mode\",\"clauses\"] and o[\"mode\"]==\"model\"" "$T/model.json"'
  check "model: one question per category" '[ $(grep -c "^folio extract: prompt" "$T/model.err") -eq 2 ]'
  c2=$(grep "^folio extract: prompt" "$T/model.err" | sed -n 2p | sed 's/.*tokens, \([0-9]*\) from the cache.*/\1/')
  check "model: the second question takes the contract from the cache ($c2 tokens)" '[ "${c2:-0}" -ge 20 ]'
  n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['clauses']))" "$T/model.json")
  r=$(grep -c "not the JSON asked for" "$T/model.err")
  check "model: every reply parsed or reported ($n clauses kept, $r replies reported)" '[ $((n + r)) -ge 1 ]'
  mkdir "$T/leases" && cp "$T/lease.txt" "$T/leases/a.txt" && cp "$T/lease.txt" "$T/leases/b.txt"
  "$F" extract "$T/leases" --model "$M" --rules "$T/two.txt" --format csv >"$T/lm.csv" 2>/dev/null
  check "model over a folder: a matrix of 2 contracts" '[ $? -eq 0 ] && [ $(wc -l <"$T/lm.csv") -eq 3 ]'
  "$F" extract "$T/lease.txt" --model "$T/no-such-model" 2>"$T/nomodel.err"
  check "model: a missing checkpoint is an error naming it" '[ $? -eq 1 ] && grep -q "no-such-model" "$T/nomodel.err"'
  "$F" extract "$PDF" --model "$M" --rules "$T/two.txt" 2>"$T/toolong.err" >/dev/null
  check "model: a contract longer than the context is refused, nothing cut" \
    '[ $? -eq 1 ] && grep -q "context" "$T/toolong.err"'
else
  echo "skip: model checks (engine or tokenizer fixtures missing)"
fi

rm -rf "$T"
echo "$fails failed"
[ $fails -eq 0 ]
