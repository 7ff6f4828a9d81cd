#!/usr/bin/env bash
# tests/e2e_terminal.sh: what folio writes to a terminal or pipe. Hostile bytes in documents and
# file names (OSC title, clear screen, C1 CSI, bidi override) never come out raw from index,
# search (text, --json, --symbol), --watch, generate or tokenize; folio's own colors are its only
# escapes (--color, NO_COLOR); the progress line fits the terminal; Ctrl-C and SIGTERM stop a run
# within a second with 130/143 and an interrupted summary; errors say what is wrong; hits print
# in rank order with one score; paths open from the current folder; -- ends options.
set -u
F=${FOLIO_BIN:?}
SH=${FOLIO_SHARED:?}/fixtures
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_terminal.XXXXXX")
T=$(cd "$T" && pwd -P) # paths are compared with what folio resolves
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
unset NO_COLOR
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# No byte that starts or steers a terminal sequence: ESC, BEL, raw C1, C1 as UTF-8, bidi
# controls. With --sgr, folio's own SGR sequences (ESC [ digits m) are allowed and required.
clean() { python3 - "$@" <<'PY'
import re, sys
sgr = sys.argv[1] == "--sgr"
files = sys.argv[2:] if sgr else sys.argv[1:]
bad = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
seen = 0
for name in files:
    data = open(name, "rb").read().replace(b"\r\n", b"\n")  # script(1) writes CRLF
    if sgr:
        seen += len(re.findall(rb"\x1b\[[0-9;]*m", data))
        data = re.sub(rb"\x1b\[[0-9;]*m", b"", data)
    try:
        text = data.decode("utf-8")  # a raw C1 byte is no UTF-8
    except UnicodeDecodeError as e:
        sys.exit("%s: not UTF-8 at %d: %r" % (name, e.start, data[e.start:e.start + 4]))
    m = bad.search(text)
    if m:
        sys.exit("%s: control character %r at %d" % (name, m.group(0), m.start()))
if sgr and not seen:
    sys.exit("no SGR color at all")
PY
}
valid_json() { python3 -c '
import json, sys
for name in sys.argv[1:]:
    for line in open(name, encoding="utf-8"):
        json.loads(line)
' "$@"; }

# ---- a library of hostile documents ----
E=$T/esc
mkdir -p "$E/sub"
printf 'zebrafish \033]0;PWNED\007 \033[2J c1:\302\233 31m raw:\233 bidi:\342\200\256 evil\n' >"$E/a.txt"
NAME=$(printf 'b\033[41mred.txt')
printf 'zebrafish in a red file name\n' >"$E/$NAME"
printf '# Heading \033[2J zebrafish\n\nzebrafish body text under the heading\n' >"$E/sub/notes.md"
printf '/* zebrafish */\nint zebra_count(int x)\n{\n    return x; /* \033]0;T\007 */\n}\n' \
  >"$E/sub/$(printf 'sym\033[41m.c')"
printf 'valgrind --leak-check=full ./prog\n' >"$E/sub/valgrind.txt"

"$F" index -v "$E" >"$T/idx.out" 2>"$T/idx.err"
check "index -v exits 0" '[ $? -eq 0 ]'
check "index -v: no raw control bytes" 'clean "$T/idx.out" "$T/idx.err"'
check "index -v: no '(null)' (item 3)" '! grep -q "(null)" "$T/idx.err" && grep -q "^indexed: " "$T/idx.err"'
touch "$E/a.txt" && printf 'zebrafish again\n' >>"$E/a.txt"
"$F" index "$E" --json >"$T/idx.json" 2>"$T/idx.jerr"
check "index --json: valid, no raw control bytes" 'valid_json "$T/idx.json" && clean "$T/idx.json" "$T/idx.jerr"'
check "index --json: summary says not interrupted" 'grep -q "\"interrupted\":false" "$T/idx.json"'

cd "$T"
"$F" search zebrafish --in "$E" >"$T/s.out" 2>"$T/s.err"
check "search: hits" '[ $? -eq 0 ] && grep -q zebrafish "$T/s.out"'
check "search: no raw control bytes" 'clean "$T/s.out" "$T/s.err"'
check "search: ESC shown as a visible symbol" 'grep -q "$(printf "\342\220\233")\]0;PWNED" "$T/s.out"'
check "search: heading sanitized" 'grep -q "Heading $(printf "\342\220\233")\[2J" "$T/s.out"'
"$F" search zebrafish --in "$E" --json >"$T/s.json" 2>"$T/s.jerr"
check "search --json: valid JSON lines" 'valid_json "$T/s.json"'
check "search --json: no raw control bytes" 'clean "$T/s.json" "$T/s.jerr"'
check "search --json: escapes as JSON does" 'grep -q "u001b\]0;PWNED" "$T/s.json" && grep -q "u009b" "$T/s.json" && grep -q "u202e" "$T/s.json"'
check "search --json: the name with ESC round-trips" 'python3 -c "
import json,sys
names=[json.loads(l)[\"path\"] for l in open(\"$T/s.json\")]
sys.exit(0 if any(\"\x1b[41m\" in n for n in names) else 1)"'
"$F" search --symbol zebra_count --in "$E" >"$T/sym.out" 2>"$T/sym.err"
check "search --symbol: found, sanitized" '[ $? -eq 0 ] && grep -q "zebra_count" "$T/sym.out" && clean "$T/sym.out" "$T/sym.err"'
"$F" search --symbol zebra_count --in "$E" --json >"$T/sym.json"
check "search --symbol --json: valid, sanitized" 'valid_json "$T/sym.json" && clean "$T/sym.json" && grep -q "u001b\[41m" "$T/sym.json"'
"$F" search "$(printf 'no\033]0;x\007such')" --in "$E" >/dev/null 2>"$T/none.err"
check "search: a query quoted in a message is sanitized" 'clean "$T/none.err" && grep -q "no results" "$T/none.err"'

# ---- colors: folio's own SGR only, and only when asked or on a terminal ----
"$F" search zebrafish --in "$E" --color=always >"$T/c1.out"
check "--color=always after the command: SGR only" 'clean --sgr "$T/c1.out"'
"$F" --color always search zebrafish --in "$E" >"$T/c2.out"
check "--color always before the command: SGR only" 'clean --sgr "$T/c2.out"'
"$F" search zebrafish --in "$E" --color=never >"$T/c3.out"
check "--color=never: no escape at all" 'clean "$T/c3.out" && grep -q "\*\*zebrafish\*\*" "$T/c3.out"'
"$F" search zebrafish --in "$E" --color=sometimes >/dev/null 2>"$T/c4.err"
check "--color=sometimes: usage error" '[ $? -eq 2 ] && grep -q "auto, always or never" "$T/c4.err"'
if command -v script >/dev/null; then
  script -qec "$F search zebrafish --in '$E'" /dev/null >"$T/tty1.out" 2>&1
  check "on a terminal: colors" 'clean --sgr "$T/tty1.out"'
  NO_COLOR=1 script -qec "$F search zebrafish --in '$E'" /dev/null >"$T/tty2.out" 2>&1
  check "on a terminal with NO_COLOR: no escape" 'clean "$T/tty2.out" && grep -q zebrafish "$T/tty2.out"'
  TERM=dumb script -qec "$F search zebrafish --in '$E'" /dev/null >"$T/tty3.out" 2>&1
  check "on a dumb terminal: no escape" 'clean "$T/tty3.out"'
fi

# ---- --watch: events of hostile file names are sanitized ----
W=$T/watched
mkdir -p "$W"
echo "alpha" >"$W/a.txt"
"$F" index "$W" --watch >"$T/w.out" 2>"$T/w.err" &
wpid=$!
for _ in $(seq 50); do grep -q "watching" "$T/w.err" 2>/dev/null && break; sleep 0.1; done
printf 'watchword \033[2J\n' >"$W/$(printf 'new\033[41m.txt')"
for _ in $(seq 50); do grep -q "new" "$T/w.err" 2>/dev/null && break; sleep 0.1; done
kill -TERM $wpid
wait $wpid
wrc=$?
check "watch: a new file with ESC in its name reported, sanitized" 'grep -q "^indexed: .*new" "$T/w.err" && clean "$T/w.out" "$T/w.err"'
check "watch: SIGTERM ends watching with 0" '[ $wrc -eq 0 ]'

# ---- ranking as printed: one score, falling, with the kind of match ----
R=$T/rank
mkdir -p "$R"
for i in 1 2 3 4 5 6; do
  printf 'quokka appears here %s times %s\n' "$i" "$(for _ in $(seq $i); do printf 'quokka '; done)" >"$R/q$i.txt"
done
printf 'int quokkaCounter = 1; /* identifier */\n' >"$R/code.c"
"$F" index "$R" --quiet >/dev/null 2>&1
"$F" search quokka --in "$R" --json --limit 20 >"$T/r.json"
check "scores fall down the list; every hit says its match" 'python3 -c "
import json,sys
h=[json.loads(l) for l in open(\"$T/r.json\")]
s=[x[\"score\"] for x in h]
assert len(h)>=6 and s==sorted(s,reverse=True), s
assert all(x[\"match\"] in (\"phrase\",\"near\",\"all\",\"stem\",\"some\",\"part\") for x in h)"'
"$F" search quokka --in "$R" --limit 20 --color=never >"$T/r.out"
check "text: '(all words, N.NNN)' in falling order" 'python3 -c "
import re,sys
s=[float(m) for m in re.findall(r\"\((?:phrase|all words|all words, near|all words, some in another form|some words|inside words), ([0-9.]+)\)\", open(\"$T/r.out\").read())]
assert len(s)>=6 and s==sorted(s,reverse=True), s"'
(mkdir -p "$T/nowhere" && cd "$T/nowhere" && "$F" search quokka zebrafish --json --limit 50 >"$T/all.json" 2>/dev/null)
check "across libraries: scores still fall" 'python3 -c "
import json
s=[json.loads(l)[\"score\"] for l in open(\"$T/all.json\")]
assert len(s)>=2 and s==sorted(s,reverse=True), s"'

# ---- paths: relative inside the current folder, absolute outside; --json has both ----
(cd "$E/sub" && "$F" search zebrafish --json >"$T/p_in.json")
check "inside: relative path that opens, abs_path absolute" 'python3 -c "
import json,os
for l in open(\"$T/p_in.json\"):
    h=json.loads(l)
    assert os.path.isabs(h[\"abs_path\"]) and os.path.exists(h[\"abs_path\"]), h
    if h[\"abs_path\"].startswith(\"$E/sub/\"):
        assert h[\"path\"]==h[\"abs_path\"][len(\"$E/sub/\"):], h
        assert os.path.exists(os.path.join(\"$E/sub\",h[\"path\"])), h
    else:
        assert h[\"path\"]==h[\"abs_path\"], h"'
(cd "$T/nowhere" && "$F" search zebrafish --in "$E" --json >"$T/p_out.json")
check "outside: absolute paths" 'python3 -c "
import json
h=[json.loads(l) for l in open(\"$T/p_out.json\")]
assert h and all(x[\"path\"]==x[\"abs_path\"] and x[\"path\"].startswith(\"/\") for x in h)"'

# ---- -- ends options; the query limit is stated and enforced ----
(cd "$E" && "$F" search -- --leak-check=full >"$T/dd.out" 2>"$T/dd.err")
check "search -- --leak-check=full finds it" '[ $? -eq 0 ] && grep -q valgrind "$T/dd.out"'
"$F" search --leak-check=full --in "$E" >/dev/null 2>"$T/dd2.err"
check "an option-looking query without -- is refused with the hint" '[ $? -eq 2 ] && grep -q "after --" "$T/dd2.err"'
"$F" search --help >"$T/help.out" 2>&1
check "search --help states the query limit" 'grep -q "8191 bytes" "$T/help.out"'
long=$(python3 -c 'print("word " * 2000)')
"$F" search --in "$E" $long >/dev/null 2>"$T/long.err"
check "a query over the limit is refused with it" '[ $? -eq 2 ] && grep -q "longer than 8191 bytes" "$T/long.err"'

# ---- errors that say what is wrong (item 7) ----
"$F" index "$T/nosuchdir" 2>"$T/e1.err"
check "index nosuchdir: no such folder" '[ $? -eq 1 ] && grep -q "no such file or folder" "$T/e1.err" && ! grep -q "cannot create" "$T/e1.err"'
RO=$T/readonly
mkdir -p "$RO" && echo "text" >"$RO/x.txt" && chmod 555 "$RO"
ro_check=1
if [ "$(id -u)" -eq 0 ]; then
  # root writes anywhere: the check runs as nobody, where nobody can reach the folder
  as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  chmod 755 "$T"
  if command -v setpriv >/dev/null && as_nobody test -r "$RO/x.txt" &&
     as_nobody "$F" --version >/dev/null 2>&1; then
    as_nobody env XDG_STATE_HOME="$T/nobody" "$F" index "$RO" 2>"$T/e2.err"
    rc=$?
  else
    ro_check=0
    echo "note: running as root and nobody cannot reach $RO: read-only check skipped"
  fi
else
  "$F" index "$RO" 2>"$T/e2.err"
  rc=$?
fi
[ $ro_check = 1 ] &&
check "index of a read-only folder: says so, suggests --db" '[ $rc -eq 1 ] && grep -q "cannot create the library folder" "$T/e2.err" && grep -q -- "--db" "$T/e2.err"'
chmod 755 "$RO"
mkdir -p "$T/never"
"$F" index --check "$T/never" >/dev/null 2>"$T/e3.err"
check "--check on a folder never indexed: no .folio made" '[ $? -eq 1 ] && [ ! -e "$T/never/.folio" ] && grep -q "no library" "$T/e3.err"'
for v in 0 abc; do
  "$F" search x --in "$E" --limit $v 2>"$T/e4.err" >/dev/null
  check "search --limit $v: says what it takes" '[ $? -eq 2 ] && grep -q "whole number" "$T/e4.err"'
done
"$F" search x --in "$E" --type pdfx 2>"$T/e5.err" >/dev/null
check "search --type pdfx: names the kinds" '[ $? -eq 2 ] && grep -q "pdf, text, markdown or code" "$T/e5.err"'
for c in index search generate tokenize model convert; do
  "$F" $c --help >"$T/h.out" 2>"$T/h.err"
  check "$c --help: stdout, exit 0" '[ $? -eq 0 ] && [ -s "$T/h.out" ] && [ ! -s "$T/h.err" ]'
done
"$F" 2>"$T/tui.err"
check "the interface's message names no internal command" '! grep -q "tui" "$T/tui.err"'

TINY=$SH/engine/tiny-v3
TOK=$SH/tokenizer/deepseek-v3
if [ -d "$TINY" ] && [ -d "$TOK" ]; then
  "$F" generate --bogus 2>"$T/g1.err"
  check "generate --bogus: unknown option" '[ $? -eq 2 ] && grep -q "unknown option" "$T/g1.err"'
  "$F" generate --model "$TINY" --top-p 2 x 2>"$T/g2.err"
  check "generate --top-p 2: refused" '[ $? -eq 2 ] && grep -q "at most 1" "$T/g2.err"'
  "$F" generate --model "$TINY" --input-ids /nonexistent 2>"$T/g3.err"
  check "generate --input-ids /nonexistent: cannot read" '[ $? -eq 1 ] && grep -q "cannot read" "$T/g3.err"'
  echo '[1, 2, 999999, 5000000]' | "$F" tokenize --tokenizer "$TOK/tokenizer.json" --decode 2>"$T/t1.err"
  check "tokenize --decode: unknown ids named" '[ $? -eq 1 ] && grep -q "999999, 5000000" "$T/t1.err"'
  printf 'x \033]0;T\007 y' | "$F" tokenize --tokenizer "$TOK/tokenizer.json" >"$T/ids.json"
  printf '%s\n' "$(cat "$T/ids.json")" | "$F" tokenize --tokenizer "$TOK/tokenizer.json" --decode --jsonl >"$T/t2.json"
  check "tokenize --decode --jsonl: JSON escapes, round trip" 'clean "$T/t2.json" && python3 -c "
import json; assert json.loads(open(\"$T/t2.json\").read()).endswith(\"x \x1b]0;T\x07 y\")"'
  if command -v script >/dev/null; then
    script -qec "$F tokenize --tokenizer '$TOK/tokenizer.json' --decode --file '$T/ids.json'" /dev/null >"$T/t3.out" 2>&1
    check "tokenize --decode on a terminal: sanitized" 'clean "$T/t3.out" && grep -q "T" "$T/t3.out"'
  fi
  echo hello | FOLIO_MODEL=$TOK "$F" tokenize >"$T/t4.json"
  check "tokenize honors FOLIO_MODEL" '[ $? -eq 0 ] && grep -q "^\[" "$T/t4.json"'
  FOLIO_MODEL=$TINY "$F" model info >"$T/m.out"
  check "model info honors FOLIO_MODEL" '[ $? -eq 0 ] && grep -q DeepseekV3 "$T/m.out"'
  # A model with damaged block scales in layer 2: the forward pass names the layer.
  BAD=$T/badmodel
  cp -r "$TINY" "$BAD" && chmod -R u+w "$BAD"
  python3 - "$BAD" <<'PY'
import json, struct, sys, os
d = sys.argv[1]
for f in os.listdir(d):
    if not f.endswith(".safetensors") or f.startswith("golden"): continue
    p = os.path.join(d, f); b = bytearray(open(p, "rb").read())
    n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
    for k, v in h.items():
        if ".layers.2." in k and k.endswith("weight_scale_inv"):
            a, e = v["data_offsets"]; b[8 + n + a:8 + n + e] = b"\xff" * (e - a)
    open(p, "wb").write(b)
PY
  python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["input_ids"]))' \
    "$TINY/golden.json" >"$T/gold_ids.json"
  "$F" generate --model "$BAD" --input-ids "$T/gold_ids.json" --greedy 4 --no-kv-cache >"$T/nan.out" 2>"$T/nan.err"
  check "non-finite values: error naming layer 2" '[ $? -eq 1 ] && grep -q "layer 2" "$T/nan.err" && [ ! -s "$T/nan.out" ]'
  MIX=$T/mixmodel
  mkdir -p "$MIX"
  for f in config.json model.safetensors.index.json model-00001-of-00002.safetensors \
           model-00002-of-00002.safetensors; do ln -s "$TINY/$f" "$MIX/$f"; done
  for f in tokenizer.json tokenizer_config.json; do ln -s "$TOK/$f" "$MIX/$f"; done
  "$F" generate --model "$MIX" "the tokenizer of another model" -n 1 >/dev/null 2>"$T/mix.err"
  check "a tokenizer of another model: said exactly" '[ $? -eq 1 ] && grep -q "tokenizer does not match the model" "$T/mix.err"'
  "$F" generate --model "$MIX" --doc "$(printf "$T/no\033[41m.txt")" q 2>"$T/g4.err"
  check "generate: a file name in an error is sanitized" '[ $? -ne 0 ] && grep -q "no" "$T/g4.err" && clean "$T/g4.err"'
fi

# ---- the progress line: fits the terminal, redrawn in place; plain lines in a pipe ----
B=$T/big
mkdir -p "$B"
python3 - "$B" <<'PY'
import random, sys
random.seed(7)
words = ["w%d" % i for i in range(3000)]
for i in range(1500):
    with open("%s/f%05d_%s.txt" % (sys.argv[1], i, "long-name" * 6), "w") as f:
        for _ in range(200):
            f.write(" ".join(random.choice(words) for _ in range(12)) + "\n")
PY
if command -v script >/dev/null; then
  script -qec "stty cols 60; $F index '$B'" /dev/null >"$T/bar.out" 2>&1
  check "progress on a 60-column terminal: redrawn in place, never wider than 59" 'python3 -c "
import re
d=open(\"$T/bar.out\",\"rb\").read().decode(\"utf-8\",\"replace\")
parts=[re.sub(r\"\x1b\[[0-9;]*[A-Za-z]\",\"\",p) for p in d.split(\"\r\")]
bars=[p for p in parts if \"files\" in p and \"ETA\" in p]
took=re.search(r\" in ([0-9.]+) s\\)\", d)
# the line first shows after 0.1 s, and the last commit comes after the last file: a run over
# that soon has nothing to redraw
assert bars or (took and float(took.group(1)) < 0.5), parts[:5]
bars=bars or [\"\"]
assert max(len(p) for p in bars)<=59, max(bars,key=len)"'
  rm -rf "$B/.folio"
fi
"$F" index "$B" >"$T/pipe.out" 2>"$T/pipe.err"
check "progress in a pipe: no CR, no escape" '! grep -q "$(printf "\r")" "$T/pipe.err" && clean "$T/pipe.err"'

# ---- Ctrl-C and SIGTERM: stopping at once, out within a second, 130/143, consistent ----
P=$SH/docs/pdfs/files/texlive-latex-base-doc__tabularx.pdf
if command -v pdfunite >/dev/null && [ -f "$P" ]; then
  args=(); for _ in $(seq 150); do args+=("$P"); done
  pdfunite "${args[@]}" "$B/0000-huge.pdf" 2>/dev/null  # 1800 pages: seconds to extract
fi
interrupt() { # signal, expected exit code
  rm -rf "$B/.folio"
  "$F" index "$B" --json >"$T/int.json" 2>"$T/int.err" &
  local pid=$! t0 t1 rc want=$2
  sleep 1
  t0=$(date +%s.%N)
  kill -"$1" $pid
  wait $pid
  rc=$?
  t1=$(date +%s.%N)
  local took
  took=$(python3 -c "print(round($t1 - $t0, 2))")
  if grep -q '"interrupted":false' "$T/int.json"; then
    echo "note: the run ended before SIG$1; nothing to check"
    return
  fi
  check "SIG$1: exit $want (got $rc)" '[ $rc -eq $want ]'
  check "SIG$1: out within about a second (${took}s)" 'python3 -c "assert $took <= 2.0"'
  check "SIG$1: said stopping at once" 'grep -q "stopping" "$T/int.err"'
  check "SIG$1: summary marked interrupted" 'grep -q "\"interrupted\":true" "$T/int.json"'
  "$F" index --check "$B" >/dev/null 2>&1
  check "SIG$1: the library passes its integrity check" '[ $? -eq 0 ]'
  "$F" index "$B" --quiet >/dev/null 2>&1
  n=$(sqlite3 "$B/.folio/index.db" "SELECT count(*) FROM documents" 2>/dev/null || echo "?")
  want=$(find "$B" -maxdepth 1 -type f | wc -l)
  check "SIG$1: the next run completes it ($n of $want documents)" '[ "$n" = "$want" ]'
}
interrupt INT 130
interrupt TERM 143
rm -rf "$B/.folio"
"$F" index "$B" --quiet >/dev/null 2>"$T/int2.err" &
pid=$!
sleep 1
kill -INT $pid
sleep 0.05
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
check "a second Ctrl-C quits at once (130)" '[ $rc -eq 130 ]'
check "the text summary is marked interrupted, or the second signal ended it" 'grep -q "interrupted\|stopped" "$T/int2.err"'

cd /
rm -rf "$T"
[ $fails -eq 0 ] && echo "all passed" || echo "$fails failure(s)"
exit $((fails > 0))
