#!/usr/bin/env bash
# tests/e2e_tui.sh: the interactive interface driven in tmux (send-keys, capture-pane) on the
# document fixtures: search in English and Chinese, open a hit at its page, go to a page, the
# next hit, summarize and extract the open contract (a clause's page followed), ask without a
# model (an extractive answer with citations, one followed to its page), the generated help,
# export, resize to 80x24, below it and back, the sanitizer on hostile file content, a definition
# in code, searching while a larger folder indexes, cancelling that indexing with Esc and
# completing it on the next run, the terminal restored on quit, and with a generated tiny model
# the streamed answer and the cached prefix of the second question in the status bar.
set -u
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs
[ -d "$S/pdfs/files" ] || { echo "fixtures missing"; exit 77; }
command -v tmux >/dev/null || { echo "tmux missing (Debian package tmux)"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_tui.XXXXXX")
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
unset NO_COLOR FOLIO_MODEL
SOCK=$T/tmux.sock
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; screen | sed 's/^/    | /'; fi; }
tm() { tmux -S "$SOCK" "$@"; }
screen() { tm capture-pane -p -t folio 2>/dev/null; }
keys() { tm send-keys -t folio "$@"; sleep 0.3; }
# waits until the screen holds the fixed string $1 (up to $2 seconds, default 15)
wait_for() {
  local i n=$(( ${2:-15} * 10 ))
  for ((i = 0; i < n; i++)); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
  return 1
}
# starts folio with the given arguments in a W x H window; the shell stays to show what is left
start() {
  local w=$1 h=$2; shift 2
  tm kill-server 2>/dev/null
  sleep 0.2
  tm -f /dev/null new-session -d -s folio -x "$w" -y "$h" \
    "cd '$T' && LANG=C.UTF-8 '$F' $* ; echo FOLIO_EXIT=\$?; echo TTY_RAW=\$(stty -a | tr ' ;' '\\n\\n' | grep -c -x -e -echo -e -icanon); sleep 600"
}
trap 'tm kill-server 2>/dev/null' EXIT
# 0 when a screen capture (capture-pane -e) holds an SGR parameter matching $2 (a regex)
has_sgr() {
  python3 -c 'import re, sys
t = open(sys.argv[1]).read()
sgr = re.findall(r"\x1b\[([0-9;]*)m", t)
sys.exit(0 if any(re.search(r"(^|;)(" + sys.argv[2] + r")(;|$)", m) for m in sgr) else 1)' "$1" "$2"
}
has_color() { has_sgr "$1" "[34][0-7]"; }

# ---- a read-only folder needs --db: the error says so -----------------------------------------
mkdir -p "$T/ro" && cp "$S/contracts/txt/"*MAINTENANCE*.txt "$T/ro/" && chmod 555 "$T/ro"
if [ "$(id -u)" -ne 0 ]; then
  err=$("$F" "$T/ro" </dev/null 2>&1); rc=$?
  check "a read-only folder: exit 1 with a hint to use --db" '[ $rc -eq 1 ] && echo "$err" | grep -q -- "--db"'
fi
chmod 755 "$T/ro"
err=$("$F" "$T/ro" --db "$T/x.db" </dev/null 2>&1); rc=$?
check "without a terminal: exit 1, says why" '[ $rc -eq 1 ] && echo "$err" | grep -q "needs a terminal"'

# ---- the fixture folder, its library kept in $T --------------------------------------------------
DB=$T/docs.db
start 120 40 "'$S' --db '$DB'"
check "opens with the library pane" 'wait_for " Library"'
check "indexing finishes in the background" 'wait_for "indexed " 30'
n=$(sqlite3 "$DB" "SELECT count(*) FROM documents")
check "the library holds the fixture documents ($n)" '[ "$n" -ge 30 ]'

keys / "Duties Upon Termination" Enter
check "English search: hits listed" 'wait_for "search: Duties Upon Termination ("'
check "a hit names its document" 'screen | grep -q "HYPERIONSOFTWARECORP"'
second=$("$F" search --db "$DB" "Duties Upon Termination" --json --limit 2 | sed -n 2p)
page=$(echo "$second" | python3 -c 'import json,sys; print(json.load(sys.stdin)["page"] or 0)')
path=$(echo "$second" | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')
# folio search prints paths that open from the current folder; the interface shows them as the
# library stores them, relative to its root
root=$(cd "$S" && pwd -P)
path=${path#"$root"/}
path=${path#"$S"/}
keys Down Enter
check "Enter on hit 2 opens $path at page $page" 'wait_for "page $page/" && screen | grep -F "page $page/" | grep -qF "${path:0:30}"'
keys n
check "n moves to the next line with the words" 'screen | grep -q "Termination"'
keys g 3 Enter
check "g 3 goes to page 3" 'wait_for "page 3/"'

# the open contract (the PDF hit): its summary, then its clauses, each row's citation followed
"$F" extract "$S/contracts/pdf/${path##*/}" --format json >"$T/x.json"
"$F" summarize "$S/contracts/pdf/${path##*/}" --json >"$T/s.json"
xlast=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["clauses"]
print("[%d] | %s | %s | " % (len(c), c[-1]["category"], c[-1]["page"]))' "$T/x.json")
nsec=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sections"]))' "$T/s.json")
keys s
check "s: the open document's summary, its $nsec sections cited by page" 'wait_for "[$nsec] ${path:0:40}" 60'
keys x
check "x: the clauses of the open contract as rows, the last: $xlast" 'wait_for "$xlast" 60'
keys e C-u "$T/doc.json" Enter
check "summary and clauses are those of folio summarize and folio extract" 'wait_for "exported to" && python3 - "$T/doc.json" "$T/s.json" "$T/x.json" <<'"'PY'"'
import json, re, sys
conv = json.load(open(sys.argv[1]))["conversation"]
s = [e for e in conv if e["task"] == "summarize" and e["role"] == "answer"][-1]
x = [e for e in conv if e["task"] == "extract" and e.get("table")][-1]
flat = lambda t: re.sub(r"\s+", " ", t)
cli = json.load(open(sys.argv[2]))["sections"]
assert all(flat(z["text"]) in flat(s["text"]) for c in cli for z in c["sentences"]), "sentences"
assert len(s["citations"]) == len(cli) and all(c["page"] for c in s["citations"])
assert x["table"][0] == ["#", "category", "page", "lines", "answer or first words"], x["table"][0]
want = [(c["category"], str(c["page"])) for c in json.load(open(sys.argv[3]))["clauses"]]
assert [(r[1], r[2]) for r in x["table"][1:]] == want, (x["table"][1:4], want[:3])
PY'
want=$(python3 -c 'import json,sys
for i, c in enumerate(json.load(open(sys.argv[1]))["clauses"][:9]):
    if c["page"] and c["page"] != 3: print(i + 1, c["page"]); break' "$T/x.json")
check "a digit opens clause [${want% *}] at page ${want#* }" '[ -n "$want" ] && keys "${want% *}" && wait_for "page ${want#* }/"'

keys / "植物标本" Enter
check "Chinese search: hits in the Chinese manual" 'wait_for "search: 植物标本 (" && screen | grep -q "nanicolle"'
keys Enter
check "the Chinese hit opens with its text" 'wait_for "植物"'

# ask without a model: the same passages as folio ask, cited; a PDF citation opens its page
q="Can either party terminate without cause?"
"$F" ask --db "$DB" --json "$q" >"$T/ask.json"
cite=$(python3 -c 'import json,sys
for c in json.load(open(sys.argv[1]))["citations"]:
    if c["page"] and c["n"] <= 9: print(c["n"], c["page"], c["path"]); break' "$T/ask.json")
last=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["citations"][-1]["path"])' "$T/ask.json")
nc=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["citations"]))' "$T/ask.json")
keys a "$q" Enter
check "ask without a model: an extractive answer with its citations" 'wait_for "[$nc] ${last:0:30}" 60'
n=${cite%% *}; rest=${cite#* }; pg=${rest%% *}; cpath=${rest#* }
check "digit $n follows citation [$n] to ${cpath##*/} page $pg" '[ -n "$cite" ] && keys "$n" && wait_for "page $pg/" && screen | grep -F "page $pg/" | grep -qF "${cpath:0:30}"'
keys 9
check "a citation that does not exist is reported" 'wait_for "no such citation"'
keys e C-u "$T/conv.json" Enter
check "export the conversation as JSON" 'wait_for "exported to" && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert any(e[\"task\"] == \"ask\" and len(e[\"citations\"]) == $nc and \"[1]\" in e[\"text\"] for e in d[\"conversation\"])" "$T/conv.json"'
keys / termination Enter e C-u "$T/res.csv" Enter
check "export the results as CSV" 'wait_for "exported to" && head -1 "$T/res.csv" | grep -q "\"path\"" && [ "$(wc -l <"$T/res.csv")" -gt 5 ]'

keys '?'
check "? shows help made from the key table" 'wait_for "folio keys" && screen | grep -q "search the library" && screen | grep -q "cancel the running work"'
keys x

tm resize-window -t folio -x 80 -y 24; sleep 0.5
check "at 80x24 every pane is there" 'screen | grep -q " Library" && screen | grep -q "Conversation" && screen | tail -1 | grep -q "model: none"'
keys z
check "z at 80x24: the focused pane (results) fills the screen" 'screen | head -1 | grep -q "^ Results  search: termination" && ! screen | grep -q " Library" && [ "$(screen | grep -c "^[0-9]* [a-z]")" -ge 5 ]'
keys z
check "z again: all panes back" 'screen | head -1 | grep -q " Library"'
tm resize-window -t folio -x 70 -y 20; sleep 0.5
check "below 80x24 a clear message" 'wait_for "needs a terminal of at least 80x24; this one is 70x20"'
tm resize-window -t folio -x 120 -y 40; sleep 0.5
check "back to 120x40, panes again" 'wait_for " Library" && screen | grep -q "Results"'

keys q
check "q quits with exit 0" 'wait_for "TTY_RAW=" && screen | grep -q "FOLIO_EXIT=0"'
check "terminal restored: echo and canonical mode back" 'screen | grep -q "^TTY_RAW=0"'
check "terminal restored: the alternate screen is gone" '[ "$(tm display -p -t folio "#{alternate_on}")" = 0 ] && ! screen | grep -q " Library"'

# ---- hostile text and code: a folder of our own ---------------------------------------------
L=$T/lib
mkdir -p "$L"
printf 'zebrafish line\n\033]2;PWNED\007 title \033[2J cleared\n' >"$L/evil.txt"
cat >"$L/ledger.c" <<'EOF'
/* ledger.c: a tiny ledger */
#include <stdio.h>

static long ledger_total(const long *v, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return s;
}

int main(void)
{
    long v[3] = {1, 2, 3};
    printf("%ld\n", ledger_total(v, 3));
    return 0;
}
EOF
printf '终止合同的通知期限为三十天。\n' >"$L/终止合同.txt"
printf '# notes \xf0\x9f\x98\x80\n' >"$L/emoji\xf0\x9f\x98\x80notes.md"
start 100 30 "'$L'"
check "a folder's own library is made in it" 'wait_for "indexed 4" && [ -f "$L/.folio/index.db" ]'
# display columns of the kind column on each library row: CJK and emoji names line up
cols=$(screen | python3 -c '
import sys, unicodedata
def width(s): return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
for line in sys.stdin:
    for kind in (" txt ", " md ", " code "):
        i = line.find(kind)
        if 0 < i < 40: print(width(line[:i]))
' | sort -u | tr '\n' ' ')
check "CJK and emoji file names keep the columns aligned ($cols)" '[ "$(echo $cols | wc -w)" = 1 ]'

keys / zebrafish Enter Enter
check "hostile text: escapes shown as symbols" 'wait_for "zebrafish line" && screen | grep -q "␛"'
check "hostile text: the window title is untouched" '! tm display -p -t folio "#{pane_title}" | grep -q PWNED'
keys / printf Enter Enter
check "code opens with line numbers" 'wait_for "line 14/" && screen | grep -qE "^.*14 +printf"'
keys d Enter
check "d: the definition of the name on the line" 'wait_for "definitions: ledger_total (1)" && screen | grep -q "l.4-"'
keys r Enter
check "r: references to the name, from the code" 'wait_for "references: ledger_total (" && ! screen | grep -q "references: ledger_total (0)"'
# a double click (X10 mouse reports, as the terminal sends them) on row 2 of the library
for i in 1 2; do tm send-keys -t folio -H 1b 5b 4d 20 24 23; tm send-keys -t folio -H 1b 5b 4d 23 24 23; done
check "a double click on a document opens it" 'wait_for "line 1/2  evil.txt"'
tm capture-pane -e -p -t folio >"$T/colors.txt"
check "colors on a color terminal" 'has_color "$T/colors.txt"'
pid=$(pgrep -P "$(tm display -p -t folio '#{pane_pid}')" | head -1)
kill -TERM "$pid"
check "SIGTERM: folio ends cleanly and restores the terminal" 'wait_for "TTY_RAW=" && screen | grep -q "FOLIO_EXIT=0" && screen | grep -q "^TTY_RAW=0"'
start 100 30 "'$L'"
wait_for " Library" >/dev/null
pid=$(pgrep -P "$(tm display -p -t folio '#{pane_pid}')" | head -1)
kill -SEGV "$pid"
check "a crash (SIGSEGV) still restores the terminal" 'wait_for "TTY_RAW=" && screen | grep -q "FOLIO_EXIT=139" && screen | grep -q "^TTY_RAW=0" && [ "$(tm display -p -t folio "#{alternate_on}")" = 0 ]'
check "the library survives the crash" '"$F" index --check --db "$L/.folio/index.db" >/dev/null'
start 100 30 "--color never '$L'"
wait_for " Library" >/dev/null
tm capture-pane -e -p -t folio >"$T/mono.txt"
check "--color never: no color, panes told apart by attributes" '! has_color "$T/mono.txt" && has_sgr "$T/mono.txt" 7'
keys q
wait_for "TTY_RAW=" >/dev/null

# ---- a larger folder: search while indexing, Esc stops it, the next run completes ------------
B=$T/big
for i in $(seq 1 5); do mkdir -p "$B/c$i"; cp "$S/contracts/pdf/"*.pdf "$S/pdfs/files/"*.pdf "$B/c$i/"; done
total=$(find "$B" -name '*.pdf' | wc -l)
BDB=$T/big.db
start 100 30 "'$B' --db '$BDB'"
check "the status bar shows indexing progress" 'wait_for "files/s ETA" 20'
for i in $(seq 1 100); do
  n=$(sqlite3 "$BDB" "SELECT count(*) FROM documents" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 6 ] && break
  sleep 0.1
done
keys / termination Enter
check "search works while indexing" 'wait_for "search: termination (" && ! screen | grep -q "search: termination (0)" && screen | grep -q "files/s"'
keys Escape
check "Esc stops the indexing" 'wait_for "indexing stopped at" 20'
keys q
check "quit after the stop: exit 0" 'wait_for "TTY_RAW=" && screen | grep -q "FOLIO_EXIT=0"'
part=$(sqlite3 "$BDB" "SELECT count(*) FROM documents")
check "part of the folder is indexed ($part of $total)" '[ "$part" -gt 0 ] && [ "$part" -lt "$total" ]'
check "the stopped library passes the integrity checks" '"$F" index --check --db "$BDB" >/dev/null'
start 100 30 "'$B' --db '$BDB'"
check "the next run completes it" 'wait_for "unchanged $part," 60'
full=$(sqlite3 "$BDB" "SELECT count(*) FROM documents")
check "every file is indexed now ($full of $total)" '[ "$full" = "$total" ]'
keys q
wait_for "TTY_RAW=" >/dev/null

# ---- with a generated tiny model (random weights, the real format): the answer streams into
# the conversation and the second question about the same document finds its prefix cached ----
fx=$FOLIO_SHARED/fixtures/engine/tiny-v3
if [ -f "$fx/config.json" ]; then
  m=$T/model
  # the tiny-v3 weights with their context stretched to 4096 and the DeepSeek-V3 tokenizer cut
  # to the tiny vocabulary
  python3 "$(dirname "$0")/make_tiny_model.py" "$fx" \
    "$FOLIO_SHARED/fixtures/tokenizer/deepseek-v3" "$m" --ctx 4096
  M=$T/mlib
  mkdir -p "$M"
  printf 'Lease terms\n\nThe lease ends after two years.\nEither party may terminate it on notice.\n' \
    >"$M/lease.txt"
  start 240 40 "'$M' --model '$m'" # wide: the status bar shows the model's whole path
  wait_for "indexed 1" 60 >/dev/null
  keys a "When does the lease end?" Enter
  # the task's first figures come once the prompt is packed; the idle title once it is done
  check "with a model: the answer streams into the conversation, the context in the status bar" \
    'wait_for "ctx " 300 && wait_for "(a asks, s summarizes" 300 && screen | grep -qE "ctx [1-9][0-9]*/4096 +cached 0 "'
  keys e C-u "$T/mconv.json" Enter
  check "the model's answer is text after the question" 'wait_for "exported to" && python3 -c "import json,sys; d=json.load(open(sys.argv[1]))[\"conversation\"]; a=[e for e in d if e[\"task\"]==\"ask\" and e[\"role\"]==\"answer\"]; assert len(a[-1][\"text\"]) > 60, a" "$T/mconv.json"'
  keys a "Can a party terminate the lease?" Enter
  check "the second question: the status bar shows the cached prefix" \
    'for i in $(seq 3000); do screen | grep -qE "ctx [1-9][0-9]*/4096 +cached [1-9]" && break; sleep 0.1; done; wait_for "(a asks, s summarizes" 300 && screen | grep -qE "ctx [1-9][0-9]*/4096 +cached (6[4-9]|[7-9][0-9]|[1-9][0-9][0-9]+)"'
  keys q
  wait_for "TTY_RAW=" >/dev/null
fi

[ $fails -eq 0 ] && rm -rf "$T"
echo "$fails failed"
[ $fails -eq 0 ]
