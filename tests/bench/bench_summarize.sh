#!/usr/bin/env bash
# tests/bench/bench_summarize.sh: the extractive summary of a ~1,000-page PDF, extraction
# included (the file is in no library), against the anchor `pdftotext` reading the same file in
# the same run. The PDF is made here: the contract fixtures joined with pdfunite, repeated.
# Prints both times and the ratio (goal: at most 3x); best of BENCH_RUNS runs each (default 3).
# BENCH_PAGES (default 1000) sizes the PDF.
set -eu
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs/contracts/pdf
command -v pdfunite >/dev/null && command -v pdftotext >/dev/null || { echo "poppler-utils missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/bench_summarize.XXXXXX")
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
unset FOLIO_MODEL
pages_of() { pdfinfo "$1" | awk '/^Pages:/ {print $2}'; }
set -- "$S"/*.pdf
one=0
for f in "$@"; do one=$((one + $(pages_of "$f"))); done
want=${BENCH_PAGES:-1000}
reps=$(((want + one - 1) / one))
list=()
for _ in $(seq "$reps"); do list+=("$@"); done
pdfunite "${list[@]}" "$T/big.pdf"
pages=$(pages_of "$T/big.pdf")
best() { # best wall time of 3 runs of "$@", in seconds
  local b=
  for _ in $(seq "${BENCH_RUNS:-3}"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    b=$(echo "$t0 $t1 ${b:-1e9}" | awk '{d = $2 - $1; print (d < $3 ? d : $3)}')
  done
  echo "$b"
}
a=$(best pdftotext "$T/big.pdf" "$T/big.txt")
s=$(best "$F" summarize "$T/big.pdf" --json)
"$F" summarize "$T/big.pdf" --json >"$T/sum.json"
secs=$(python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(len(j['sections']), sum(len(s['sentences']) for s in j['sections']))" "$T/sum.json")
echo "summarize: $pages pages, sections/sentences: $secs"
echo "pdftotext: ${a} s (anchor)"
echo "folio summarize (extraction included): ${s} s"
awk -v a="$a" -v s="$s" 'BEGIN { printf "ratio: %.2fx pdftotext (goal <= 3x)\n", s / a; exit !(s / a <= 3.0) }'
