#!/usr/bin/env bash
# tests/e2e_index.sh: folio index + folio search end to end on the document fixtures: page counts
# against the manifests, every broken file reported with its reason, CJK queries of 1, 2 and 4
# characters checked against the reference text, incremental re-index (touch, edit, move,
# delete), quoting of hostile queries, the writer lock with a concurrent reader, and --watch.
set -u
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs
[ -d "$S/pdfs/files" ] || { echo "fixtures missing"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_index.XXXXXX")
export XDG_STATE_HOME=$T/state
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
q() { sqlite3 "$DB" "$1"; }

# ---- a library of the three fixture sets (read-only fixtures, copied for the edits below) ----
L=$T/lib
mkdir -p "$L"
cp -r "$S/pdfs/files" "$L/pdfs"
cp -r "$S/contracts/pdf" "$L/contracts"
cp -r "$S/broken" "$L/broken"
cp "$S/contracts/txt/"*.txt "$L/contracts/"
DB=$L/.folio/index.db
"$F" index "$L" --json >"$T/run1.json" 2>"$T/run1.err"
rc=$?
check "first run exits 3 (some files failed, the rest indexed)" '[ $rc -eq 3 ]'
check "summary line" 'grep -q "\"summary\"" "$T/run1.json"'
d0=$(q "SELECT count(*) FROM documents")
check "22 documents (6 + 5 + 5 PDFs and texts, 4 readable broken files, 2 notes)" '[ "$d0" = 22 ]'

# every good PDF with the manifest's page count
while IFS=$'\t' read -r file _ _ _ pages _; do
  [ "$file" = file ] && continue
  got=$(q "SELECT pages FROM documents WHERE path = 'pdfs/${file#files/}'")
  check "pages of $file = $pages" '[ "$got" = "$pages" ]'
done <"$S/pdfs/manifest.tsv"
while IFS=$'\t' read -r file _ _ pages _; do
  [ "$file" = file ] && continue
  got=$(q "SELECT pages FROM documents WHERE path = 'contracts/${file#pdf/}'")
  check "pages of $file = $pages" '[ "$got" = "$pages" ]'
done <"$S/contracts/manifest.tsv"
n_txt=$(q "SELECT count(*) FROM documents WHERE kind = 'text' AND path LIKE 'contracts/%.txt'")
check "5 contract texts indexed" '[ "$n_txt" = 5 ]'

# broken files: each bad one failed with its reason, the others indexed (with warnings)
reason() { grep "\"broken/$1\"" "$T/run1.json" | grep -q "\"failed\"" && grep "\"broken/$1\"" "$T/run1.json" | grep -qi "$2"; }
check "zero-length: empty" 'reason zero-length.pdf empty'
check "not-a-pdf-text: not a PDF" 'reason not-a-pdf-text.pdf "not a PDF"'
check "not-a-pdf-png: not a PDF" 'reason not-a-pdf-png.pdf "not a PDF"'
check "encrypted: password-protected" 'reason encrypted-user-password.pdf password-protected'
for b in truncated-at-10pct truncated-at-50pct truncated-before-xref truncated-header-only \
         truncated-at-90pct-xref-stream xref-stream-bytes-flipped; do
  check "$b: damaged" 'reason $b.pdf "damaged or truncated"'
done
n_failed=$(grep -c '"event":"failed"' "$T/run1.json")
check "exactly 10 failed files" '[ "$n_failed" = 10 ]'
for r in xref-offsets-garbled startxref-wrong; do
  st=$(q "SELECT status || ' ' || pages FROM documents WHERE path = 'broken/$r.pdf'")
  check "$r recovered, 8 pages" '[ "$st" = "recovered 8" ]'
done
st=$(q "SELECT status FROM documents WHERE path = 'broken/body-bytes-flipped.pdf'")
check "body-bytes-flipped indexed as partial" '[ "$st" = partial ]'
check "body-bytes-flipped warning reported" 'grep "body-bytes-flipped" "$T/run1.json" | grep -q warning'
n_empty=$(q "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = d.id) AND d.warning IS NULL")
check "no document empty without a warning" '[ "$n_empty" = 0 ]'
(cd "$L" && "$F" search drkoop.com --db "$DB" --json --path 'broken/control*' >"$T/s.json")
check "control file searchable" 'grep -q "\"path\":\"broken/control-valid.pdf\"" "$T/s.json"'

# ---- search output: JSON keys, provenance, quoting ----
"$F" search "termination for convenience" --in "$L" --json --limit 5 >"$T/s.json"
check "search finds hits" '[ $(wc -l <"$T/s.json") -ge 1 ]'
check "JSON keys" 'python3 -c "
import json,sys
for l in open(\"$T/s.json\"):
    h=json.loads(l)
    assert all(k in h for k in (\"path\",\"page\",\"line_start\",\"line_end\",\"score\",\"snippet\"))
    assert h[\"line_start\"]>=1 and h[\"line_end\"]>=h[\"line_start\"]
    assert (h[\"page\"] is None) == (not h[\"path\"].endswith(\".pdf\"))
"'
"$F" search 'foo" AND (bar OR NEAR( -x * ^' --db "$DB" >/dev/null 2>"$T/q.err"
rc=$?
check "hostile text is no syntax error" '[ $rc -le 1 ] && ! grep -qi syntax "$T/q.err"'
"$F" search --raw 'AND OR (' --db "$DB" >/dev/null 2>&1
check "--raw syntax error exits 2" '[ $? -eq 2 ]'
"$F" search --raw 'terminat* OR NEAR(headings convenience, 5)' --db "$DB" --json >/dev/null
check "--raw FTS5 syntax passes through" '[ $? -eq 0 ]'
"$F" search sponsorship --db "$DB" --type text --json >"$T/s.json"
check "--type filter" '[ -s "$T/s.json" ] && ! grep -q "\"kind\":\"pdf\"" "$T/s.json"'

# ---- CJK: 1, 2 and 4 characters; every hit's page holds the query in pdftotext's text ----
ZH=$S/pdfs/text-raw/texlive-lang-chinese__nanicolle-doc-zh.txt
for query in 植 标本 植物标本; do
  "$F" search "$query" --db "$DB" --json --limit 50 >"$T/zh.json"
  check "CJK '$query' ($(printf %s "$query" | python3 -c 'import sys;print(len(sys.stdin.read()))') chars) found on the right pages" 'python3 -c "
import json,sys
pages=open(\"$ZH\").read().split(chr(12))
hits=[json.loads(l) for l in open(\"$T/zh.json\")]
assert hits, \"no hits\"
for h in hits:
    assert \"nanicolle\" in h[\"path\"], h[\"path\"]
    assert \"$query\" in \"\".join(pages[h[\"page\"]-1].split()), h[\"page\"]
    assert \"**\" in h[\"snippet\"]
want={i+1 for i,p in enumerate(pages) if \"$query\" in \"\".join(p.split())}
got={h[\"page\"] for h in hits}
assert want <= got | set(), (want, got)
"'
done

# ---- incremental ----
"$F" index "$L" --json >"$T/run2.json" 2>/dev/null
check "second run: nothing re-indexed" '! grep -q "\"event\":\"indexed\"" "$T/run2.json"'
d1=$(q "SELECT count(*) FROM documents")
check "second run: no duplicates (documents $d1)" '[ "$d1" = "$d0" ]'
touch "$L/contracts/"*.txt
"$F" index "$L" --json >"$T/run3.json" 2>/dev/null
check "touched files: hash says unchanged" '! grep -q "\"event\":\"indexed\"" "$T/run3.json"'
f=$(ls "$L/contracts/"*.txt | head -1)
printf '\nzygomorphicwordx appears once\n' >>"$f"
"$F" index "$L" --json >"$T/run4.json" 2>/dev/null
n=$(grep -c '"event":"indexed"' "$T/run4.json")
check "one edited file re-indexed alone" '[ "$n" = 1 ]'
"$F" search zygomorphicwordx --db "$DB" --json >"$T/s.json"
check "edited content searchable" 'grep -q "$(basename "$f")" "$T/s.json"'
mv "$L/pdfs/texlive-latex-base-doc__tabularx.pdf" "$L/pdfs/moved-tabularx.pdf"
rm "$L/contracts/SUNTRONCORP_05_17_2006-EX-10.22-MAINTENANCE_AGREEMENT.pdf"
"$F" index "$L" --json >"$T/run5.json" 2>/dev/null
check "moved file re-pointed" 'grep -q "\"event\":\"moved\",\"path\":\"pdfs/moved-tabularx.pdf\"" "$T/run5.json"'
check "moved file not re-extracted" '! grep -q "\"event\":\"indexed\"" "$T/run5.json"'
check "deleted file removed" 'grep -q "\"event\":\"removed\",\"path\":\"contracts/SUNTRON" "$T/run5.json"'
n=$(q "SELECT count(*) FROM documents WHERE path LIKE '%SUNTRON%.pdf'")
check "deleted file gone from the index" '[ "$n" = 0 ]'
"$F" index --check --db "$DB" >/dev/null
check "integrity check passes" '[ $? -eq 0 ]'

# ---- second writer, concurrent reader, --watch ----
W=$T/watched
mkdir -p "$W"
printf '# Notes\n\nalpha bravo charlie\n' >"$W/a.md"
"$F" index "$W" --watch --json >"$T/watch.json" 2>"$T/watch.err" &
wpid=$!
for _ in $(seq 50); do grep -q summary "$T/watch.json" 2>/dev/null && break; sleep 0.1; done
"$F" index "$W" >/dev/null 2>"$T/second.err"
rc=$?
check "second writer refused" '[ $rc -eq 1 ] && grep -q "library is being indexed by pid $wpid" "$T/second.err"'
"$F" search bravo --in "$W" --json >"$T/s.json"
check "search while a writer holds the library" 'grep -q a.md "$T/s.json"'
printf 'delta echo foxtrotword\n' >"$W/b.txt"
found=0
for _ in $(seq 50); do
  "$F" search foxtrotword --in "$W" >/dev/null 2>&1 && { found=1; break; }
  sleep 0.1
done
check "watch: a new file is searchable within seconds" '[ $found = 1 ]'
rm "$W/a.md"
gone=0
for _ in $(seq 50); do
  "$F" search bravo --in "$W" >/dev/null 2>&1 || { gone=1; break; }
  sleep 0.1
done
check "watch: a deleted file leaves the index" '[ $gone = 1 ]'
# A folder renamed inside the tree keeps its inotify watch: later files in it get the new path.
mkdir -p "$W/sub"
sleep 0.5 # the watcher adds the new folder
mv "$W/sub" "$W/renamed"
sleep 0.5
printf 'golfword hotel\n' >"$W/renamed/c.txt"
found=0
for _ in $(seq 50); do
  (cd "$W" && "$F" search golfword --json 2>/dev/null) | grep -q '"path":"renamed/c.txt"' && { found=1; break; }
  sleep 0.1
done
check "watch: a file in a renamed folder has the new path" '[ $found = 1 ]'
kill -TERM $wpid
wait $wpid
check "watcher stops on SIGTERM" '[ $? -eq 0 ]'
# Past inotify's watch limit (lowered in a user namespace of our own, where the system allows
# one), the watcher says how many folders it cannot watch and how to raise the limit.
mkdir -p "$T/many"
for i in $(seq 1 12); do mkdir -p "$T/many/d$i"; echo "file $i" >"$T/many/d$i/f.txt"; done
if unshare -U -r true 2>/dev/null; then
  unshare -U -r bash -c "echo 5 >/proc/sys/user/max_inotify_watches &&
    timeout 3 '$F' index --watch '$T/many' --db '$T/many.db' --quiet" >/dev/null 2>"$T/limit.err"
  check "watch: the inotify limit is reported" 'grep -q "8 folders are not watched" "$T/limit.err"'
else
  echo "skipped: watch limit (no user namespaces here)"
fi

# ---- the sample library of the README ----
SRC=${FOLIO_SOURCE:-.}/assets/sample
cp -r "$SRC" "$T/sample"
python3 "$SRC/make_pdf.py" "$T/regen.pdf"
check "sample PDF is what make_pdf.py writes" 'cmp -s "$T/regen.pdf" "$SRC/agreement.pdf"'
"$F" index "$T/sample" --quiet >/dev/null 2>&1
check "sample library indexes cleanly" '[ $? -eq 0 ]'
(cd "$T/sample" && "$F" search "notice period" --json --limit 1 >"$T/s.json")
check "sample: notice period on page 1 of the agreement" 'grep -q "\"path\":\"agreement.pdf\",\"page\":1" "$T/s.json"'
"$F" search 违约责任 --in "$T/sample" --json >"$T/s.json"
check "sample: CJK query finds the schedule" 'grep -q schedule.txt "$T/s.json"'
(cd "$T/sample" && "$F" search ledger_balance --json >"$T/s.json")
check "sample: code found" 'grep -q "\"path\":\"ledger.c\"" "$T/s.json"'
sym=$(sqlite3 "$T/sample/.folio/index.db" "SELECT kind, line_start, line_end FROM symbols WHERE name = 'ledger_balance'")
check "sample: symbol ledger_balance at lines 25-30" '[ "$sym" = "function|25|30" ]'
(cd "$T/sample" && "$F" search --symbol ledger_balance >"$T/sym.txt")
check "sample: search --symbol" '[ $? -eq 0 ] && grep -q "^ledger.c:25-30  function  " "$T/sym.txt"'
(cd "$T/sample" && "$F" search --symbol ledger_balance --json >"$T/sym.json")
check "sample: search --symbol --json" 'grep -q "{\"path\":\"ledger.c\",\"line_start\":25,\"line_end\":30,\"name\":\"ledger_balance\",\"kind\":\"function\"" "$T/sym.json"'
"$F" search --symbol Ledger_Balance --in "$T/sample" >/dev/null 2>&1
check "sample: search --symbol is exact (case matters)" '[ $? -eq 1 ]'

# ---- a --db inside the folder being indexed: the library's own files are not documents ----
mkdir -p "$T/inner"
echo "inner text" >"$T/inner/a.txt"
"$F" index "$T/inner" --db "$T/inner/lib.db" --quiet >/dev/null 2>&1
"$F" index "$T/inner" --db "$T/inner/lib.db" --quiet >/dev/null 2>&1
n=$(sqlite3 "$T/inner/lib.db" "SELECT group_concat(path) FROM documents")
check "own database files are not indexed ($n)" '[ "$n" = "$T/inner/a.txt" ] || [ "$n" = a.txt ]'

# ---- every known library, from a folder that has none ----
# By now this user knows the fixture library, the sample and the watched one. A library that
# cannot be read is skipped with its reason; an exact match in a one-file library comes before
# the big library's hits that have only some of the words.
mkdir -p "$T/tiny" "$T/nowhere"
echo "termination zygomorphic quasar" >"$T/tiny/note.txt"
"$F" index "$T/tiny" --quiet >/dev/null 2>&1
echo "not a database at all, just text long enough to fill a header" >"$T/tiny/.folio/bad.db"
echo "$T/tiny/.folio/bad.db" >>"$XDG_STATE_HOME/folio/libraries"
(cd "$T/nowhere" && "$F" search "termination zygomorphic" --json >"$T/all.json" 2>"$T/all.err")
check "all libraries: answers despite an unreadable one" '[ $? -eq 0 ] && grep -q "bad.db" "$T/all.err"'
check "all libraries: exact match first" 'head -1 "$T/all.json" | grep -q "\"path\":\"$T/tiny/note.txt\".*\"match\":\"phrase\""'
(cd "$T/nowhere" && "$F" search "termination for convenience" --json --limit 50 >"$T/all.json" 2>/dev/null)
check "all libraries: hits from several libraries" '[ $(grep -c "\"path\":\"$T/lib/" "$T/all.json") -ge 1 ] && grep -q "\"path\":\"$T/sample/" "$T/all.json"'
(cd "$T/tiny" && "$F" search "zygomorphic" --json >"$T/here.json" 2>/dev/null;
 "$F" search "termination for convenience" --all --json --limit 50 >"$T/all2.json" 2>/dev/null)
check "search inside a library: that library; --all: every one" 'grep -q "note.txt" "$T/here.json" && grep -q "\"path\":\"$T/lib/" "$T/all2.json"'
"$F" search --all --in "$T/tiny" x >/dev/null 2>&1
check "--all with --in is a usage error" '[ $? -eq 2 ]'

rm -rf "$T"
echo "$fails failure(s)"
[ $fails -eq 0 ]
