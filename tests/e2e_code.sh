#!/usr/bin/env bash
# tests/e2e_code.sh: folio code end to end on real trees (folio's own source, a part of
# /usr/include, a generated Python package): the JSON lines' fields, paths relative to REPO, and
# accuracy against the anchors, with thresholds: function definitions where universal-ctags finds
# them (>= 95%), call sites where `grep -w 'NAME *('` finds them outside comments and strings
# (>= 90%, and >= 90% of folio's found by grep); the repository map (budget, ranking, cache).
set -u
F=${FOLIO_BIN:?}
SRC=${FOLIO_SOURCE:-.}
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_code.XXXXXX")
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
unset FOLIO_MODEL
fails=0
ok() { echo "ok: $1"; }
no() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }

if ! command -v ctags >/dev/null || ! ctags --version 2>/dev/null | grep -q Universal; then
  echo "universal-ctags missing: skipped"; exit 77
fi

# ---- folio's own C source ------------------------------------------------------------------
mkdir -p "$T/folio"
cp -r "$SRC"/app "$SRC"/index "$SRC"/ingest "$SRC"/ui "$SRC"/engine "$T/folio/"
"$F" index "$T/folio" --quiet 2>"$T/idx.err" >/dev/null
check "folio's source indexes" '[ -f "$T/folio/.folio/index.db" ]'

"$F" code "$T/folio" --def idx_open --json >"$T/def.json"
check "--def exits 0 and finds idx_open in index/db.c" \
  'grep -q "\"path\":\"index/db.c\"" "$T/def.json" && grep -q "\"kind\":\"function\"" "$T/def.json"'
"$F" code "$T/folio" --def no_such_name_anywhere >/dev/null 2>&1
check "--def of an unknown name exits 1" '[ $? -eq 1 ]'
"$F" code "$T/folio" --refs idx_open --json >"$T/refs.json"
"$F" code "$T/folio" --refs idx_stmt --json >"$T/refs_all.json"
"$F" code "$T/folio/index" --refs idx_stmt --json >"$T/refs_sub.json"
python3 - "$T" <<'EOF' || fails=$((fails + 1))
import json, sys
T = sys.argv[1]
defs = [json.loads(l) for l in open(T + "/def.json")]
refs = [json.loads(l) for l in open(T + "/refs.json")]
sub = [json.loads(l) for l in open(T + "/refs_sub.json")]
every = [json.loads(l) for l in open(T + "/refs_all.json")]
for d in defs:
    assert {"path", "line", "kind", "name", "signature"} <= d.keys(), d
    assert d["name"] == "idx_open" and not d["path"].startswith("/"), d
assert any(d["kind"] == "function" and d["signature"].startswith("int idx_open(") for d in defs)
assert refs, "no references"
for r in refs:
    assert {"path", "line", "kind", "name", "text"} <= r.keys(), r
    assert r["kind"] in ("ref", "call") and r["name"] == "idx_open", r
    assert "idx_open" in r["text"], r
assert not any(r["path"] == "index/db.c" and "int idx_open(" in r["text"] for r in refs), \
    "the definition is listed as a use"
assert sub and all(not r["path"].startswith("index/") for r in sub), sub[:2]
assert len(sub) == sum(r["path"].startswith("index/") for r in every) > 10
print("ok: JSON lines carry path, line, kind, name, signature/text; paths relative to REPO")
EOF

# ---- accuracy against ctags and grep -------------------------------------------------------
# The trees: folio's source, and the parts of /usr/include with code in them (inline functions,
# macros calling functions) when present.
mkdir -p "$T/inc"
for d in /usr/include/linux/[a-m]*.h /usr/include/json-c /usr/include/sqlite3.h /usr/include/zlib.h; do
  [ -e "$d" ] && mkdir -p "$T/inc/$(dirname "${d#/usr/include/}")" && cp -r "$d" "$T/inc/${d#/usr/include/}"
done
"$F" index "$T/inc" --quiet 2>>"$T/idx.err" >/dev/null

accuracy() { # REPO: definitions and call sites against ctags and grep
python3 - "$F" "$1" <<'EOF'
import json, os, re, subprocess, sys
F, repo = sys.argv[1], sys.argv[2]
tags = subprocess.run(["ctags", "-R", "--languages=C,C++", "--kinds-C=fpd", "--kinds-C++=fpd",
                       "--langmap=C:.c.h", "--fields=+nK",
                       "--output-format=json", "-f", "-", "--exclude=.folio", "."],
                      cwd=repo, capture_output=True, text=True).stdout
defs, decl_lines = {}, set()
for line in tags.splitlines():
    try:
        t = json.loads(line)
    except ValueError:
        continue
    if t.get("_type") != "tag":
        continue
    decl_lines.add((t["path"], t["line"], t["name"]))
    if t["kind"] == "function":
        defs.setdefault(t["name"], []).append((t["path"], t["line"]))
names = sorted(defs)
sample = names[:: max(1, len(names) // 120)]
def folio(*args):
    out = subprocess.run([F, "code", repo] + list(args) + ["--json"], capture_output=True,
                         text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]
found = total = 0
missed = []
for n in sample:
    got = folio("--def", n)
    for path, line in defs[n]:
        total += 1
        if any(g["path"] == path and g["line"] <= line <= g.get("line_end", g["line"]) + 0
               for g in got):
            found += 1
        else:
            missed.append("%s:%d %s" % (path, line, n))
def_share = found / max(total, 1)
# Call sites: grep 'NAME *(' outside comments and string literals, definitions left out. The
# name is matched as a word at its start (\b): `grep -w` would also demand a word boundary
# after the '(' and so miss every call with an argument, foo(x).
def in_comment_or_string(text, pos, in_block):
    s = text.lstrip()
    if in_block or s.startswith("*") or s.startswith("/*") or s.startswith("//"):
        return True
    before = text[:pos]
    if "//" in before or before.count("/*") > before.count("*/"):
        return True
    return before.replace('\\"', "").count('"') % 2 == 1
calls_sample = [n for n in names if len(n) > 3][:: max(1, len(names) // 40)]
g_total = g_found = f_total = f_in_grep = 0
miss_calls, extra = [], []
for n in calls_sample:
    pat = r"\b%s *\(" % re.escape(n)
    grep = subprocess.run(["grep", "-rn", "-I", "--exclude-dir=.folio", r"\b%s *(" % n, "."],
                          cwd=repo, capture_output=True, text=True, errors="replace").stdout
    hits = set()
    for l in grep.splitlines():
        m = re.match(r"\./(.*?):(\d+):(.*)", l)
        if not m:
            continue
        path, line, text = m.group(1), int(m.group(2)), m.group(3)
        if not path.endswith((".c", ".h")) or (path, line, n) in decl_lines:
            continue
        mm = re.search(pat, text)
        if mm and not in_comment_or_string(text, mm.start(), False):
            hits.add((path, line))
    got = {(r["path"], r["line"]) for r in folio("--callers", n)}
    g_total += len(hits)
    g_found += len(hits & got)
    miss_calls += ["%s:%d %s" % (p, l, n) for p, l in sorted(hits - got)][:3]
    extra += ["%s:%d %s" % (p, l, n) for p, l in sorted(got - hits)][:3]
    f_total += len(got)
    f_in_grep += len(got & hits)
call_share = g_found / max(g_total, 1)
precision = f_in_grep / max(f_total, 1)
print("%s: definitions %d/%d = %.3f (ctags), call sites %d/%d = %.3f (grep), "
      "folio's call sites in grep's %d/%d = %.3f" % (os.path.basename(repo), found, total,
      def_share, g_found, g_total, call_share, f_in_grep, f_total, precision))
if missed: print("  missed definitions, e.g.:", ", ".join(missed[:5]))
if miss_calls: print("  missed call sites, e.g.:", ", ".join(miss_calls[:5]))
if extra: print("  call sites grep does not see, e.g.:", ", ".join(extra[:5]))
ok = total >= 20 and def_share >= 0.95 and (g_total < 10 or call_share >= 0.90) and \
     (f_total < 10 or precision >= 0.90)
sys.exit(0 if ok else 1)
EOF
}
if accuracy "$T/folio"; then ok "folio's source: definitions and call sites"; else no "folio's source accuracy"; fi
if [ -n "$(ls "$T/inc")" ]; then
  if accuracy "$T/inc"; then ok "/usr/include: definitions and call sites"; else no "/usr/include accuracy"; fi
fi

# ---- a Python package: definitions, callers, callees, comments and strings --------------------
P=$T/py
mkdir -p "$P/pkg"
cat >"$P/pkg/util.py" <<'PY'
def normalize(text):
    """normalize(text) in a docstring is no call"""
    return text.strip().lower()

def tokens(text):
    # normalize(x) in a comment is none either
    return normalize(text).split()
PY
cat >"$P/pkg/index.py" <<'PY'
from pkg.util import normalize, tokens

class Index:
    def add(self, doc):
        for t in tokens(doc):
            self.words.append(normalize(t))

    def find(self, word):
        return normalize(word) in self.words
PY
cat >"$P/main.py" <<'PY'
from pkg.index import Index
ix = Index()
ix.add("Hello world")
print("normalize(") 
PY
"$F" index "$P" --quiet 2>>"$T/idx.err" >/dev/null
"$F" code "$P" --def normalize --json >"$T/pydef.json"
"$F" code "$P" --callers normalize --json >"$T/pycallers.json"
"$F" code "$P" --callees add --json >"$T/pycallees.json"
python3 - "$T" <<'EOF2' || fails=$((fails + 1))
import json, sys
T = sys.argv[1]
rd = lambda f: [json.loads(l) for l in open(T + "/" + f)]
d = rd("pydef.json")
assert [(x["path"], x["line"], x["kind"]) for x in d] == [("pkg/util.py", 1, "function")], d
assert d[0]["signature"].startswith("def normalize(text)"), d
c = rd("pycallers.json")
got = sorted((x["path"], x["line"], x["name"]) for x in c)
assert got == [("pkg/index.py", 6, "add"), ("pkg/index.py", 9, "find"),
               ("pkg/util.py", 7, "tokens")], got
assert all(x["kind"] == "call" and x["callee"] == "normalize" for x in c), c
e = sorted({x["name"] for x in rd("pycallees.json")})
assert e == ["append", "normalize", "tokens"], e
print("ok: Python: definitions, callers and callees, comments and strings left out")
EOF2

# ---- Go, Java, TypeScript, Rust (symbols from ctags): callers by their enclosing function -----
G=$T/poly
mkdir -p "$G"
printf 'package main\n\nfunc helper(x int) int { return x * 2 }\n\nfunc run() int {\n\t// helper(9)\n\treturn helper(3)\n}\n' >"$G/a.go"
printf 'class B {\n    int helper(int x) { return x; }\n    int run() {\n        return helper(2); /* helper(3) */\n    }\n}\n' >"$G/B.java"
printf 'function helper(x: number) { return x; }\nexport function run() { return helper(1) + `helper(${2})`.length; }\n' >"$G/c.ts"
printf 'fn helper(x: i32) -> i32 { x }\nfn run() -> i32 {\n    helper(1)\n}\n' >"$G/d.rs"
"$F" index "$G" --quiet 2>>"$T/idx.err" >/dev/null
"$F" code "$G" --callers helper >"$T/poly.txt"
check "Go, Java, TypeScript and Rust: one call each, inside run, comments and literals left out" \
  '[ "$(grep -c ": run: " "$T/poly.txt")" = 4 ] && [ "$(wc -l <"$T/poly.txt")" = 4 ]'

# ---- the repository map ----------------------------------------------------------------------
"$F" code "$T/folio" --budget 120 >"$T/map1.txt"
check "the map exits 0 and fits 120 words" '[ -s "$T/map1.txt" ] && [ "$(wc -w <"$T/map1.txt")" -le 120 ]'
# which header is used most moves as the code grows: one of the module headers that many files
# include ranks first, never a .c file
check "a widely included header ranks first (a module's public or internal header)" \
  'head -1 "$T/map1.txt" | grep -Eq "^(app|engine|index|ingest|ui)/[a-z_]+\.h:$"'
check "the map is cached in the library" \
  '[ "$(sqlite3 "$T/folio/.folio/index.db" "SELECT count(*) FROM meta WHERE key LIKE '"'"'code_map%'"'"'")" = 1 ]'
"$F" code "$T/folio" --budget 120 >"$T/map2.txt"
check "the cached map is the same map" 'cmp -s "$T/map1.txt" "$T/map2.txt"'
TOK=${FOLIO_SHARED:-../shared}/fixtures/tokenizer/deepseek-v3
if [ -f "$TOK/tokenizer.json" ]; then
  "$F" code "$T/folio" --model "$TOK" --budget 80 >"$T/map_tok.txt"
  ntok=$("$F" tokenize --model "$TOK" --no-bos --file "$T/map_tok.txt" | python3 -c \
    'import json, sys; print(len(json.load(sys.stdin)))')
  check "with --model the budget counts the model's tokens ($ntok <= 80, more than 40)" \
    '[ "$ntok" -le 80 ] && [ "$ntok" -gt 40 ] && [ "$(wc -w <"$T/map_tok.txt")" -lt 80 ]'
fi
"$F" code "$P" --json >"$T/pymap.json"
check "the Python map ranks pkg/util.py first, as JSON lines" \
  'head -1 "$T/pymap.json" | grep -q "\"path\":\"pkg/util.py\",\"line\":1,\"kind\":\"file\""'
cat >"$P/pkg/extra.py" <<'PY'
from pkg.index import Index
def build(): return Index()
def build2(): return Index()
PY
"$F" index "$P" --quiet 2>>"$T/idx.err" >/dev/null
"$F" code "$P" >"$T/pymap2.txt"
check "a new file shows in the map at once (the cache follows the library)" \
  'grep -q "^pkg/extra.py:" "$T/pymap2.txt"'

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
