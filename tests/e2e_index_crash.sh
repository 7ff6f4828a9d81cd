#!/usr/bin/env bash
# tests/e2e_index_crash.sh: kill -9 the indexer at random moments, several times. After every
# kill the library must open, pass SQLite's and FTS5's integrity checks and hold no half-indexed
# document; the next run must complete it to exactly what an uninterrupted run produces.
set -u
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs
[ -d "$S/pdfs/files" ] || { echo "fixtures missing"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_crash.XXXXXX")
export XDG_STATE_HOME=$T/state
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A corpus that takes a moment to index: the fixture PDFs and texts, twice, plus code files.
C=$T/corpus
mkdir -p "$C/a" "$C/b" "$C/code"
cp "$S"/pdfs/files/*.pdf "$S"/contracts/pdf/*.pdf "$S"/contracts/txt/*.txt "$C/a/"
for f in "$C"/a/*; do cp "$f" "$C/b/copy-$(basename "$f")"; done
for i in $(seq 1 150); do
  {
    echo "/* generated file $i */"
    for j in $(seq 1 40); do
      echo "int func_${i}_$j(int x) { return x * $j + $i; /* crashtestword$i */ }"
    done
  } >"$C/code/f$i.c"
done

start=$(date +%s.%N)
"$F" index "$C" --db "$T/timing.db" --quiet >/dev/null 2>&1
full=$(echo "$(date +%s.%N) - $start" | bc)
echo "uninterrupted run: ${full}s"

DB=$T/crash.db
half_indexed() {
  sqlite3 "$DB" "SELECT count(*) FROM documents d WHERE
    (d.kind = 'pdf' AND d.pages != (SELECT count(*) FROM pages p WHERE p.doc_id = d.id)) OR
    (d.warning IS NULL AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = d.id))"
}
kills=0
for round in 1 2 3 4 5 6; do
  # Each round changes most files, so that every run has work to be killed in.
  if [ $round -gt 1 ]; then
    for f in "$C"/code/*.c "$C"/b/*.txt; do echo "/* round $round */" >>"$f"; done
    for f in "$C"/b/*.pdf; do printf '\n%% round %d\n' $round >>"$f"; done
  fi
  "$F" index "$C" --db "$DB" --quiet >/dev/null 2>&1 &
  pid=$!
  # a random moment within the run
  delay=$(python3 -c "import random; print(round(random.uniform(0.05, max(0.1, 0.5 * $full)), 3))")
  sleep "$delay"
  if [ -z "$(ps -o stat= -p $pid | grep -v Z)" ]; then
    echo "round $round: the run ended before the kill"
  else
    kill -9 $pid && kills=$((kills + 1))
  fi
  wait $pid 2>/dev/null
  n=$(sqlite3 "$DB" "SELECT count(*) FROM documents" 2>&1)
  echo "round $round: killed after ${delay}s with $n documents"
  if "$F" index --check --db "$DB" >/dev/null 2>"$T/check.err"; then
    ok "round $round: integrity checks pass"
  else
    bad "round $round: $(cat "$T/check.err")"
  fi
  h=$(half_indexed)
  if [ "$h" = 0 ]; then ok "round $round: no half-indexed document"; else bad "round $round: $h half-indexed"; fi
done
[ $kills -ge 3 ] && ok "$kills runs killed mid-way" || bad "only $kills runs were killed mid-way"

"$F" index "$C" --db "$DB" --quiet >/dev/null 2>&1
REF=$T/ref.db
"$F" index "$C" --db "$REF" --quiet >/dev/null 2>&1
ref_docs=$(sqlite3 "$REF" "SELECT count(*) FROM documents")
ref_chunks=$(sqlite3 "$REF" "SELECT count(*) FROM chunks")
ref_pages=$(sqlite3 "$REF" "SELECT count(*) FROM pages")
ref_syms=$(sqlite3 "$REF" "SELECT coalesce(sum(n), 0) FROM doc_symbols")
docs=$(sqlite3 "$DB" "SELECT count(*) FROM documents")
chunks=$(sqlite3 "$DB" "SELECT count(*) FROM chunks")
pages=$(sqlite3 "$DB" "SELECT count(*) FROM pages")
syms=$(sqlite3 "$DB" "SELECT coalesce(sum(n), 0) FROM doc_symbols")
[ "$docs/$chunks/$pages/$syms" = "$ref_docs/$ref_chunks/$ref_pages/$ref_syms" ] &&
  ok "the next run completes: $docs documents, $chunks chunks, $pages pages, $syms symbols" ||
  bad "after the crashes: $docs/$chunks/$pages/$syms, uninterrupted: $ref_docs/$ref_chunks/$ref_pages/$ref_syms"
"$F" index --check --db "$DB" >/dev/null && ok "final integrity" || bad "final integrity"
"$F" search crashtestword77 --db "$DB" --json | grep -q '"path":".*code/f77.c"' &&
  ok "search after recovery" || bad "search after recovery"
"$F" search --symbol func_77_3 --db "$DB" | grep -q 'code/f77.c:' &&
  ok "symbol lookup after recovery" || bad "symbol lookup after recovery"
"$F" search nc_77_3 --db "$DB" --json | grep -q '"path":".*code/f77.c"' &&
  ok "substring of a name after recovery" || bad "substring of a name after recovery"

rm -rf "$T"
echo "$fails failure(s)"
[ $fails -eq 0 ]
