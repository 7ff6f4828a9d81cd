#!/usr/bin/env bash
# tests/bench/bench_ingest.sh: indexing speed against anchors measured in the same run:
#   PDF ingest: folio index over the fixture PDFs vs pdftotext over the same files (best of 3);
#   code: folio index /usr/include vs ctags -R /usr/include (best of 3 each), with folio's peak
#   RSS.
set -eu
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/bench_ingest.XXXXXX")
export XDG_STATE_HOME=$T/state
best() { # best wall time of 3 runs of "$@", in seconds
  local b=999
  for _ in 1 2 3; do
    local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; local e=$(date +%s.%N)
    b=$(echo "if ($e - $s < $b) $e - $s else $b" | bc -l)
  done
  echo "$b"
}
mkdir -p "$T/pdfs"
cp "$S"/pdfs/files/*.pdf "$S"/contracts/pdf/*.pdf "$T/pdfs/"
npdf=$(ls "$T/pdfs" | wc -l)
pdftotext_all() { for f in "$T"/pdfs/*.pdf; do pdftotext "$f" "$T/out.txt"; done; }
folio_pdfs() { rm -f "$T"/p.db*; "$F" index "$T/pdfs" --db "$T/p.db" --quiet; }
a=$(best pdftotext_all)
b=$(best folio_pdfs)
printf 'PDF ingest (%d files): folio index %.3f s, pdftotext %.3f s, ratio %.2fx (goal <= 1.3x)\n' \
  "$npdf" "$b" "$a" "$(echo "$b / $a" | bc -l)"

DB=${FOLIO_BENCH_INCLUDE_DB:-$T/include.db}
ctags_all() { ctags -R -f "$T/tags" /usr/include; }
folio_include() { # a fresh index each time; the peak RSS of the last run goes to $T/rss
  rm -f "$DB" "$DB"-*
  /usr/bin/time -f '%M' -o "$T/rss" "$F" index /usr/include --db "$DB" --quiet
}
c=$(best ctags_all)
f=$(best folio_include)
docs=$(sqlite3 "$DB" "SELECT count(*) || ' files, ' || (SELECT count(*) FROM chunks) || ' chunks, ' || (SELECT count(*) FROM symbols) || ' symbols' FROM documents")
printf 'code (/usr/include, %s): folio index %.2f s, ctags -R %.2f s, ratio %.2fx (goal <= 1.0x); folio peak RSS %d MB\n' \
  "$docs" "$f" "$c" "$(echo "$f / $c" | bc -l)" "$(( $(tail -1 "$T/rss") / 1024 ))"
[ -n "${FOLIO_BENCH_INCLUDE_DB:-}" ] || rm -rf "$T"
