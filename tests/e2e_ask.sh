#!/usr/bin/env bash
# tests/e2e_ask.sh: folio ask and folio summarize end to end without a model: the --json
# contracts (exact keys, citations best first), restriction to one file or a sub-folder, the
# bad inputs (no match, only stop-words, unknown path, no library, empty library), hostile text
# through the sanitizer, summaries whose every sentence stands on its page, a scanned PDF said
# so, a file outside any library summarized without writing anything, and folio config.
set -u
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs
[ -d "$S/contracts/pdf" ] || { echo "fixtures missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_ask.XXXXXX")
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
unset FOLIO_MODEL FOLIO_CTX
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

L=$T/lib
mkdir -p "$L/contracts" "$L/notes"
cp "$S/contracts/pdf/"*.pdf "$L/contracts/"
printf 'Meeting notes\n\nThe \033[31mred\033[0m team may terminate the pilot without cause.\n' \
  >"$L/notes/hostile.txt"
"$F" index "$L" >/dev/null 2>&1
cd "$L" || exit 1

"$F" ask "Which state's law governs this agreement?" --json >"$T/a.json" 2>"$T/a.err"
rc=$?
check "ask --json exits 0" '[ $rc -eq 0 ]'
check "ask --json: one object with exactly the contract's keys" 'python3 - "$T/a.json" <<'"'PY'"'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
j = json.loads(lines[0])
assert list(j) == ["question", "mode", "answer", "citations", "context"], list(j)
assert j["mode"] == "extractive" and isinstance(j["answer"], str)
assert list(j["context"]) == ["tokens", "cached_tokens", "max_tokens", "left_out"]
cs = j["citations"]
assert 1 <= len(cs) <= 5
keys = ["n", "path", "page", "line_start", "line_end", "heading", "text", "score"]
for i, c in enumerate(cs):
    assert list(c) == keys, list(c)
    assert c["n"] == i + 1 and c["line_start"] <= c["line_end"] and c["text"]
    assert isinstance(c["page"], int) and isinstance(c["score"], float)
assert all(cs[i]["score"] >= cs[i + 1]["score"] for i in range(len(cs) - 1))
assert "governed" in cs[0]["text"].lower() or "laws of" in cs[0]["text"].lower(), cs[0]["text"]
PY'

f=$(ls contracts | head -1)
"$F" ask "termination notice" --in "contracts/$f" --json -k 3 >"$T/b.json" 2>/dev/null
check "--in FILE: every citation from that file, at most -k" 'python3 -c "
import json,sys; j=json.load(open(\"$T/b.json\")); cs=j[\"citations\"]
assert 1 <= len(cs) <= 3 and all(c[\"path\"] == \"contracts/$f\" for c in cs), cs"'
"$F" ask "terminate without cause" --in notes --json >"$T/c.json" 2>/dev/null
check "--in a sub-folder: only its documents" 'python3 -c "
import json; cs=json.load(open(\"$T/c.json\"))[\"citations\"]
assert cs and all(c[\"path\"].startswith(\"notes/\") for c in cs), cs"'

"$F" ask "red team terminate pilot" --in notes >"$T/h.txt" 2>&1
check "document text reaches the terminal sanitized (no raw ESC)" \
  '! grep -q $'"'"'\033'"'"' "$T/h.txt" && grep -q "terminate" "$T/h.txt"'

"$F" ask "xyzzyplugh quux" --json >"$T/n.json" 2>"$T/n.err"
rc=$?
check "no match: exit 1, citations [] and a sentence on stderr" \
  '[ $rc -eq 1 ] && grep -q "\"citations\": *\[\]" "$T/n.json" && [ -s "$T/n.err" ]'
"$F" ask "what is it and can they do it" >/dev/null 2>"$T/s.err"
rc=$?
check "only stop-words: exit 1, said so" '[ $rc -eq 1 ] && grep -q "common words" "$T/s.err"'
"$F" ask "termination" --in "$T/nowhere" 2>"$T/u.err" >/dev/null
rc=$?
check "unknown path: exit 1, named" '[ $rc -eq 1 ] && grep -q "nowhere: no such file" "$T/u.err"'
mkdir -p "$T/empty" "$T/bare"
"$F" index "$T/empty" >/dev/null 2>&1
(cd "$T/empty" && "$F" ask "termination" 2>"$T/e.err" >/dev/null)
rc=$?
check "empty library: exit 1, said so" '[ $rc -eq 1 ] && grep -q "holds no documents" "$T/e.err"'
(cd "$T/bare" && "$F" ask "termination" 2>"$T/b.err" >/dev/null)
rc=$?
check "no library: exit 1, suggests folio index" '[ $rc -eq 1 ] && grep -q "folio index" "$T/b.err"'
"$F" ask "termination" --bogus 2>/dev/null >/dev/null
check "unknown option: exit 2" '[ $? -eq 2 ]'

# ---- summarize ----
"$F" summarize "contracts/$f" --json >"$T/sum.json" 2>"$T/sum.err"
rc=$?
check "summarize --json exits 0" '[ $rc -eq 0 ]'
check "summarize --json: the contract's keys; every sentence stands on its page" 'python3 - "$T/sum.json" "$L/.folio/index.db" "contracts/$f" <<'"'PY'"'
import json, re, sqlite3, sys
j = json.loads(open(sys.argv[1]).read())
assert list(j) == ["file", "mode", "pages", "sections"], list(j)
assert j["mode"] == "extractive" and j["pages"] > 0 and j["sections"]
db = sqlite3.connect(sys.argv[2])
pages = dict(db.execute("SELECT p.page, p.text FROM pages p JOIN documents d ON d.id = p.doc_id"
                        " WHERE d.path = ?", (sys.argv[3],)).fetchall())
norm = lambda s: re.sub(r"\s+", " ", s).strip()
n = 0
for s in j["sections"]:
    assert list(s) == ["heading", "pages", "summary", "sentences"], list(s)
    a, b = s["pages"]
    assert 1 <= a <= b <= j["pages"]
    for x in s["sentences"]:
        assert list(x) == ["text", "page"] and a <= x["page"] <= b
        assert norm(x["text"]) in norm(pages[x["page"]]), x
        n += 1
assert n >= 2
PY'
"$F" summarize "contracts/$f" --length short --json >"$T/short.json"
"$F" summarize "contracts/$f" --length long --json >"$T/long.json"
check "--length short says less than long" 'python3 -c "
import json; n=lambda p: sum(len(s[\"sentences\"]) for s in json.load(open(p))[\"sections\"])
assert n(\"$T/short.json\") < n(\"$T/long.json\")"'
mkdir -p "$T/loose"
cp "$S/contracts/txt/$(ls "$S/contracts/txt" | head -1)" "$T/loose/c.txt"
"$F" summarize "$T/loose/c.txt" >"$T/loose.out" 2>&1
rc=$?
check "a file in no library is summarized, nothing written" \
  '[ $rc -eq 0 ] && [ -s "$T/loose.out" ] && [ ! -e "$T/loose/.folio" ]'
scan=$S/pdfs/files/texlive-publishers-doc__veraPDFnoconformance.pdf
"$F" summarize "$scan" 2>"$T/scan.err" >/dev/null
rc=$?
check "a scanned PDF: exit 1, says it has no text layer" \
  '[ $rc -eq 1 ] && grep -q "no text layer" "$T/scan.err"'
"$F" summarize "$T/nothing.pdf" 2>"$T/nf.err" >/dev/null
check "summarize of a missing file: exit 1" '[ $? -eq 1 ] && grep -q "no such file" "$T/nf.err"'

# ---- config ----
mkdir -p "$XDG_CONFIG_HOME/folio"
printf 'model = /models/small\nctx = 4096\n' >"$XDG_CONFIG_HOME/folio/config"
FOLIO_CTX=2048 "$F" config >"$T/cfg.out"
check "config: the file's model, the environment's ctx, each with its source" \
  'grep -q "model *= /models/small *(config file .*:1)" "$T/cfg.out" &&
   grep -q "ctx *= 2048 *(environment FOLIO_CTX)" "$T/cfg.out" && grep -q "threads *unset" "$T/cfg.out"'
rm -f "$XDG_CONFIG_HOME/folio/config"

rm -rf "$T"
echo "$fails failed"
[ $fails -eq 0 ]
