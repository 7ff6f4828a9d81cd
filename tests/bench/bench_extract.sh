#!/usr/bin/env bash
# tests/bench/bench_extract.sh: folio extract on a 300-page agreement (a text PDF written here from
# the CUAD contract texts, 50 lines a page), in pages per second, against the anchor measured in
# the same run on the same file: pdftotext, which only extracts the text (poppler, as folio does).
# Also the 5 real CUAD PDFs (36 pages). Prints "ratio" = folio time / pdftotext time.
set -u
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs/contracts
command -v pdftotext >/dev/null || { echo "pdftotext missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/bench_extract.XXXXXX")
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache
PAGES=${BENCH_PAGES:-300}

python3 - "$S/txt" "$T/long.pdf" "$PAGES" <<'EOF'
import os, sys, textwrap
src, out, pages = sys.argv[1], sys.argv[2], int(sys.argv[3])
words = []
for f in sorted(os.listdir(src)):
    words += open(os.path.join(src, f), encoding="utf-8", errors="replace").read().split()
lines = textwrap.wrap(" ".join(words), 95)
def esc(s):
    s = s.encode("latin-1", "replace").decode("latin-1")
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
objs = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
kids, at = [], 0
for p in range(pages):
    body = ["BT /F1 9 Tf 40 800 Td 12 TL"]
    for _ in range(50):
        body.append("(%s) Tj T*" % esc(lines[at % len(lines)]))
        at += 1
    body.append("ET")
    data = "\n".join(body).encode("latin-1")
    objs.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
    objs.append(None)  # the page, filled in once the Pages object number is known
    kids.append(len(objs))
pages_no = len(objs) + 1
for k in kids:
    objs[k - 1] = (b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 842] /Contents %d 0 R "
                   b"/Resources << /Font << /F1 1 0 R >> >> >>" % (pages_no, k - 1))
objs.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" %
            (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
objs.append(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_no)
buf, offs = bytearray(b"%PDF-1.4\n"), []
for i, o in enumerate(objs):
    offs.append(len(buf))
    buf += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
xref = len(buf)
buf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    buf += b"%010d 00000 n \n" % o
buf += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, len(objs), xref)
open(out, "wb").write(bytes(buf))
EOF

# best of 3 wall-clock seconds of a command
best() {
  local b=""
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "FAIL: $*" >&2; return 1; }
    t1=$(date +%s.%N)
    b=$(python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); b=sys.argv[3]; print(t if not b or t<float(b) else b)" "$t0" "$t1" "$b")
  done
  echo "$b"
}

report() { # NAME PAGES FOLIO_S ANCHOR_S
  python3 -c "import sys; n,p,f,a=sys.argv[1],int(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4])
print('%s: %d pages: folio extract %.3f s (%.0f pages/s), pdftotext %.3f s (%.0f pages/s), ratio %.2f' % (n,p,f,p/f,a,p/a,f/a))" "$@"
}

fs=$(best "$F" extract "$T/long.pdf" --format json) || exit 1
as=$(best pdftotext "$T/long.pdf" "$T/long.txt") || exit 1
report "synthetic agreement" "$PAGES" "$fs" "$as"
"$F" extract "$T/long.pdf" --format json | python3 -c "import json,sys; print('  clauses found:', len(json.load(sys.stdin)['clauses']))"

fs=$(best "$F" extract "$S/pdf" --format json) || exit 1
as=$(best sh -c "for f in '$S'/pdf/*.pdf; do pdftotext \"\$f\" -; done") || exit 1
report "CUAD contracts (5 PDFs)" 36 "$fs" "$as"
rm -rf "$T"
