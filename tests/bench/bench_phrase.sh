#!/usr/bin/env bash
# tests/bench/bench_phrase.sh: phrases copied from PDFs find their page first. Indexes the fixture
# PDFs (pdfs/ and contracts/), takes N windows of 7 consecutive words from their pdftotext text
# (a random page of a random PDF, weighted by pages, then a random start on that page; seeded),
# and runs them through phrase_rank. A window counts as found when the first hit is a page
# whose text holds the same 7 words in a row (the sampled page, or another with that text).
#   bench_phrase.sh PHRASE_RANK_BINARY [SEED] [N] [MIN_SHARE]
set -eu
B=${1:?usage: bench_phrase.sh PHRASE_RANK_BINARY [SEED] [N] [MIN_SHARE]}
SEED=${2:-$RANDOM}
N=${3:-1000}
MIN=${4:-0}
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs
[ -d "$S/pdfs/files" ] || { echo "fixtures missing"; exit 77; }
command -v pdftotext >/dev/null || { echo "pdftotext missing (poppler-utils)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/bench_phrase.XXXXXX")
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
mkdir -p "$T/lib/pdfs" "$T/lib/contracts" "$T/text"
cp "$S"/pdfs/files/*.pdf "$T/lib/pdfs/"
cp "$S"/contracts/pdf/*.pdf "$T/lib/contracts/"
"$F" index "$T/lib" --db "$T/lib.db" --quiet >/dev/null 2>&1 || true
for p in "$T"/lib/*/*.pdf; do
  rel=${p#"$T/lib/"}
  mkdir -p "$T/text/$(dirname "$rel")"
  pdftotext -q "$p" "$T/text/$rel.txt" || true
done
python3 - "$T/text" "$SEED" "$N" >"$T/samples.tsv" 2>"$T/sample.log" <<'PY'
import os, random, re, sys
root, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pages = []  # (path, page number, words)
for d, _, files in sorted(os.walk(root)):
    for f in sorted(files):
        rel = os.path.relpath(os.path.join(d, f), root)[:-4]  # the PDF's path in the library
        text = open(os.path.join(d, f), encoding="utf-8", errors="replace").read()
        for i, t in enumerate(text.split("\f")):
            pages.append((rel, i + 1, t.split()))
norm = lambda ws: re.findall(r"\w+", " ".join(ws).lower())
def holds(hay, needle):
    k = len(needle)
    return any(hay[i:i + k] == needle for i in range(len(hay) - k + 1))
tokens = [norm(w) for _, _, w in pages]
usable = [i for i, (_, _, w) in enumerate(pages) if len(w) >= 7]
rng = random.Random(seed)
skipped = 0
for _ in range(n):
    i = rng.choice(usable)
    path, page, words = pages[i]
    s = rng.randrange(len(words) - 6)
    window = words[s:s + 7]
    want = norm(window)
    if len(want) < 3:  # dot leaders, rules, number columns: nothing anyone searches for
        skipped += 1
        continue
    where = ["%s:%d" % (pages[j][0], pages[j][1]) for j in range(len(pages))
             if want and holds(tokens[j], want)] or ["%s:%d" % (path, page)]
    print(" ".join(window).replace("\t", " ") + "\t" + "\t".join(where))
print("%d windows with fewer than 3 words left out" % skipped, file=sys.stderr)
PY
echo "seed $SEED, $(wc -l <"$T/samples.tsv") windows of 7 words ($(cat "$T/sample.log"))"
"$B" "$T/lib.db" "$T/samples.tsv" "$MIN"
