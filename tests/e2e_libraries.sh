#!/usr/bin/env bash
# tests/e2e_libraries.sh: libraries as a user keeps them: the .gitignore in .folio, options
# remembered across runs, damaged libraries (truncated, garbage, a garbled page) reported with
# the way out and rebuilt by --rebuild (and left alone when a rebuild cannot run), single files
# joining the library of their folder, nested libraries searched together, copied and moved
# libraries re-rooted with identical documents collapsed by search --all, folio libraries
# (text, --json, --forget) and folio cache (--json, --clear).
set -u
F=${FOLIO_BIN:?}
S=${FOLIO_SHARED:?}/fixtures/docs
[ -d "$S/pdfs/files" ] || { echo "fixtures missing"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_libraries.XXXXXX")
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
docs() { sqlite3 "$1/.folio/index.db" "SELECT count(*) FROM documents"; }

# ---- .gitignore inside .folio (item: .folio must not show in git status) ----
G=$T/repo
mkdir -p "$G" && echo "marmot notes" >"$G/notes.txt"
"$F" index "$G" -q 2>/dev/null
check ".folio/.gitignore ignores everything" '[ "$(grep -v "^#" "$G/.folio/.gitignore")" = "*" ]'
if command -v git >/dev/null; then
  git -C "$G" init -q 2>/dev/null
  check "git status does not show .folio" '! git -C "$G" status --porcelain | grep -q folio'
fi
check "the .gitignore is not indexed" '[ "$(docs "$G")" = 1 ]'
rm "$G/.folio/.gitignore"
"$F" index "$G" -q 2>/dev/null
check "a .folio without one (older folio) gets it at the next run" '[ -f "$G/.folio/.gitignore" ]'

# ---- options a library was built with are reused ----
O=$T/opts
mkdir -p "$O/build" "$O/.hidden"
echo "capybara main" >"$O/main.txt"
echo "capybara built" >"$O/build/out.txt"
echo "capybara hidden" >"$O/.hidden/h.txt"
echo "ignored.txt" >"$O/.folioignore"
echo "capybara ignored" >"$O/ignored.txt"
"$F" index "$O" --all --no-ignore -q 2>/dev/null
n_all=$(docs "$O")
check "--all --no-ignore indexes build, hidden and ignored files" '[ "$n_all" -ge 4 ]'
"$F" index "$O" --json >"$T/o2.json" 2>"$T/o2.err"
check "a plain re-run removes nothing" 'grep -q "\"removed\":0" "$T/o2.json"'
check "a plain re-run keeps every document" '[ "$(docs "$O")" = "$n_all" ]'
check "it says which options it used" 'grep -q "using the options this library was built with: --all --no-ignore" "$T/o2.err"'
check "and how to override them" 'grep -q -- "--default-options" "$T/o2.err"'
"$F" index "$O" --no-ignore -q 2>"$T/o3.err"
check "new options replace the remembered ones, saying so" 'grep -q "options were --all --no-ignore, now --no-ignore" "$T/o3.err"'
check "build and hidden files leave with --all gone" '[ "$(docs "$O")" -lt "$n_all" ]'
check "the new options are remembered" '[ "$(sqlite3 "$O/.folio/index.db" "SELECT value FROM meta WHERE key = '"'options'"'")" = "--no-ignore" ]'
# one run over two libraries: each with its own options
O2=$T/opts2
mkdir -p "$O2/build" && echo "capybara two" >"$O2/main.txt" && echo "capybara two built" >"$O2/build/b.txt"
"$F" index "$O2" -q 2>/dev/null
"$F" index "$O" --all -q 2>/dev/null
"$F" index "$O" "$O2" -q 2>/dev/null
check "a library's remembered options stay with it in a run over several" '[ "$(docs "$O2")" = 1 ]'
"$F" index "$O" --default-options -q 2>/dev/null
check "--default-options drops them" '[ -z "$(sqlite3 "$O/.folio/index.db" "SELECT value FROM meta WHERE key = '"'options'"'")" ]'
check "only main.txt is left" '[ "$(docs "$O")" = 1 ]'

# ---- damaged libraries ----
L=$T/lib
cp -r "$S/pdfs/files" "$L"
"$F" index "$L" -q 2>/dev/null
n_good=$(docs "$L")
DB=$L/.folio/index.db
cp "$DB" "$T/good.db"
size=$(stat -c %s "$DB")
truncate -s $((size / 2)) "$DB"
"$F" index "$L" >"$T/d1.out" 2>"$T/d1.err"
rc=$?
check "truncated library: exit 1" '[ $rc -eq 1 ]'
check "truncated library: says damaged" 'grep -q "damaged" "$T/d1.err"'
check "truncated library: no 'unchanged' summary" '! grep -q "unchanged" "$T/d1.err" "$T/d1.out"'
check "truncated library: tells how to rebuild" 'grep -q "folio index --rebuild $L" "$T/d1.err"'
head -c 65536 /dev/urandom >"$DB"
"$F" index "$L" -q 2>"$T/d2.err"
rc=$?
check "garbage library: exit 1" '[ $rc -eq 1 ]'
check "garbage library: not an SQLite database" 'grep -q "damaged: not an SQLite database" "$T/d2.err"'
check "garbage library: no SQL in the message" '! grep -q "PRAGMA\|(in:" "$T/d2.err"'
"$F" search --in "$L" whole >/dev/null 2>"$T/d3.err"
check "search on a garbage library says damaged and how to rebuild" 'grep -q "damaged" "$T/d3.err" && grep -q -- "--rebuild" "$T/d3.err"'

# a rebuild that cannot run (another writer holds the lock) leaves the old file alone
if command -v flock >/dev/null; then
  touch "$DB.lock"
  flock "$DB.lock" sleep 3 &
  lpid=$!
  sleep 0.3
  before=$(md5sum <"$DB")
  "$F" index --rebuild "$L" -q 2>"$T/r0.err"
  rc=$?
  check "rebuild while locked: exit 1, says why" '[ $rc -eq 1 ] && grep -q "being indexed by another process" "$T/r0.err"'
  check "rebuild while locked: the old library is untouched" '[ "$(md5sum <"$DB")" = "$before" ]'
  wait $lpid
fi
echo stale >"$DB.rebuild"
"$F" index --rebuild "$L" -q 2>"$T/r1.err"
rc=$?
check "--rebuild recovers (exit 0)" '[ $rc -eq 0 ]'
check "--rebuild says so" 'grep -q "rebuilt from scratch" "$T/r1.err"'
check "rebuilt library has every document" '[ "$(docs "$L")" = "$n_good" ]'
check "rebuilt library passes --check" '"$F" index --check --db "$DB" >/dev/null 2>&1'
check "nothing is left aside" '! ls "$L/.folio" | grep -q rebuild'
check "search works again" '"$F" search --in "$L" "whole object" --json --limit 1 2>/dev/null | grep -q "\"path\""'

# a garbled page after a clean close: the changed file is checked at the next open
"$F" index "$L" -q 2>/dev/null
head -c 16384 /dev/urandom | dd of="$DB" bs=16384 seek=7 conv=notrunc 2>/dev/null
"$F" index "$L" -q >"$T/d4.out" 2>"$T/d4.err"
rc=$?
check "garbled page: exit 1 and damaged" '[ $rc -eq 1 ] && grep -q "damaged" "$T/d4.err"'
check "garbled page: not reported unchanged" '! grep -q "unchanged" "$T/d4.err"'
"$F" index "$O" --all -q 2>/dev/null # options to keep through a rebuild
"$F" index --rebuild "$O" -q 2>"$T/r2.err"
check "--rebuild keeps the library's options" 'grep -q "rebuilding with the options it was built with: --all" "$T/r2.err" && [ "$(sqlite3 "$O/.folio/index.db" "SELECT value FROM meta WHERE key = '"'options'"'")" = "--all" ]'
"$F" index --rebuild "$L" -q 2>/dev/null
check "garbled library rebuilt" '[ "$(docs "$L")" = "$n_good" ]'
# garbage inside the full-text index's data, where SQLite's own quick check cannot see
pg=$(sqlite3 "$DB" "SELECT max(pageno) FROM dbstat WHERE name = 'chunks_fts_data' AND pagetype = 'leaf'" 2>/dev/null)
if [ -n "$pg" ]; then
  psz=$(sqlite3 "$DB" "PRAGMA page_size")
  head -c 1200 /dev/urandom | dd of="$DB" bs=1 seek=$((pg * psz - 1300)) conv=notrunc 2>/dev/null
  "$F" index "$L" -q >"$T/d5.out" 2>"$T/d5.err"
  rc=$?
  check "garbled full-text index: exit 1, damaged" '[ $rc -eq 1 ] && grep -q "damaged" "$T/d5.err"'
  "$F" index --rebuild "$L" -q 2>/dev/null
  check "and rebuilt" '"$F" index --check --db "$DB" >/dev/null 2>&1'
fi

# ---- a single file ----
A=$T/alone
mkdir -p "$A"
echo "ocelot solitary" >"$A/one.txt"
"$F" index "$A/one.txt" 2>"$T/f1.err"
rc=$?
check "a file no library covers: exit 2" '[ $rc -eq 2 ]'
check "no .folio made next to it" '[ ! -e "$A/.folio" ]'
check "it says how to index the folder" 'grep -q "folio index $A" "$T/f1.err"'
mkdir -p "$L/notes"
echo "ocelot in the notes" >"$L/notes/new.txt"
"$F" index "$L/notes/new.txt" -q 2>/dev/null
check "a file in a library's folder joins that library" '[ "$(docs "$L")" = $((n_good + 1)) ]'
check "no library of its own" '[ ! -e "$L/notes/.folio" ]'
check "stored relative to the library" '[ "$(sqlite3 "$DB" "SELECT count(*) FROM documents WHERE path = '"'notes/new.txt'"'")" = 1 ]'

# ---- nested libraries: searched together, named on stderr ----
"$F" index "$L/notes" -q 2>/dev/null
echo "ocelot outer only" >"$L/outer.txt"
"$F" index "$L" -q 2>/dev/null
(cd "$L/notes" && "$F" search ocelot >"$T/n1.out" 2>"$T/n1.err")
check "from inside a nested library, the outer one is searched too" 'grep -q "outer.txt" "$T/n1.out"'
check "stderr names both libraries" 'grep -q "searching the 2 libraries that cover this folder: $L, $L/notes" "$T/n1.err"'
check "the file both hold is one hit" '[ "$(grep -c "new.txt" "$T/n1.out")" = 1 ]'
(cd "$L/notes" && "$F" search ocelot --json >"$T/n2.json" 2>/dev/null)
check "--json: one object per hit, each naming its library" 'python3 -c "
import json, sys
hits = [json.loads(l) for l in open(\"$T/n2.json\")]
assert len(hits) == 2, hits
assert all(h[\"library\"].endswith(\"/.folio/index.db\") for h in hits)
assert all(h[\"paths\"][0] == h[\"path\"] for h in hits)
"'

# ---- copied and moved libraries ----
C=$T/lua
mkdir -p "$C"
for i in 1 2 3; do echo "function f$i() return 'pangolin$i' end" >"$C/f$i.lua"; done
"$F" index "$C" -q 2>/dev/null
cp -r "$C" "$T/lua2"
"$F" index "$T/lua2" -q 2>"$T/c1.err"
check "a copied library says so" 'grep -q "this library was copied from $C" "$T/c1.err"'
check "its root is the copy" '[ "$(sqlite3 "$T/lua2/.folio/index.db" "SELECT value FROM meta WHERE key = '"'root'"'")" = "$T/lua2" ]'
check "its documents point into the copy" '[ "$(sqlite3 "$T/lua2/.folio/index.db" "SELECT count(*) FROM documents WHERE key LIKE '"'$T/lua2/%'"'")" = 3 ]'
check "and nothing else" '[ "$(docs "$T/lua2")" = 3 ]'
(cd / && "$F" search --all pangolin2 --json >"$T/c2.json" 2>/dev/null)
check "search --all: identical documents are one hit listing both paths" 'python3 -c "
import json
hits = [json.loads(l) for l in open(\"$T/c2.json\")]
assert len(hits) == 1, hits
assert sorted(hits[0][\"paths\"]) == sorted([\"$C/f2.lua\", \"$T/lua2/f2.lua\"]), hits
"'
(cd / && "$F" search --all pangolin2 >"$T/c3.out" 2>/dev/null)
check "text output lists the other copy" 'grep -q "also $T/lua2/f2.lua\|also $C/f2.lua" "$T/c3.out"'
mv "$T/lua2" "$T/lua3"
"$F" index "$T/lua3" -q 2>"$T/c4.err"
check "a moved library says so" 'grep -q "this library was moved from $T/lua2" "$T/c4.err"'
check "moved: still 3 documents, under the new root" '[ "$(sqlite3 "$T/lua3/.folio/index.db" "SELECT count(*) FROM documents WHERE key LIKE '"'$T/lua3/%'"'")" = 3 ]'

# ---- folio libraries ----
"$F" libraries >"$T/l1.out"
check "libraries lists the libraries" 'grep -q "$C\$" "$T/l1.out" && grep -q "$L\$" "$T/l1.out"'
check "a library gone from disk shows as missing" 'grep "$T/lua2" "$T/l1.out" | grep -q missing'
"$F" libraries --json >"$T/l2.json"
check "libraries --json: fields, sizes, ISO 8601 times, document counts" 'python3 -c "
import json, os, re
libs = {}
for l in open(\"$T/l2.json\"):
    j = json.loads(l)
    for k in (\"path\", \"db\", \"size_bytes\", \"last_indexed\", \"documents\"):
        assert k in j, (k, j)
    libs[j[\"path\"]] = j
c = libs[\"$C\"]
assert c[\"documents\"] == 3 and c[\"db\"] == \"$C/.folio/index.db\", c
assert c[\"size_bytes\"] >= os.path.getsize(c[\"db\"]) > 0, c
assert re.fullmatch(r\"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\", c[\"last_indexed\"]), c
assert libs[\"$L\"][\"documents\"] == $n_good + 2, libs[\"$L\"]
"'
"$F" libraries --forget "$C" >"$T/l3.out"
rc=$?
check "--forget DIR: exit 0, says the database stays" '[ $rc -eq 0 ] && grep -q "database stays" "$T/l3.out"'
check "--forget takes it off the list" '! "$F" libraries --json | grep -q "\"db\":\"$C/"'
check "--forget leaves the database" '[ -f "$C/.folio/index.db" ]'
"$F" libraries --forget "$T/nowhere" 2>"$T/l4.err"
check "--forget of an unknown folder: exit 1" '[ $? -eq 1 ] && grep -q "not in the list" "$T/l4.err"'
"$F" libraries --forget "$T/lua2" >/dev/null
check "a missing library can be forgotten" '! "$F" libraries | grep -q "$T/lua2"'

# ---- folio cache ----
K=$XDG_CACHE_HOME/folio/kv/00112233aabbccdd
mkdir -p "$K"
head -c 4096 /dev/zero >"$K/0000000000000001aaaaaaaaaaaaaaaa.kvb"
head -c 1000 /dev/zero >"$K/0000000000000002aaaaaaaaaaaaaaaa.kvb"
echo "not ours" >"$K/README"
"$F" cache --json >"$T/k1.json"
check "cache --json: size and blocks per model" 'python3 -c "
import json
j = json.load(open(\"$T/k1.json\"))
assert j[\"dir\"] == \"$XDG_CACHE_HOME/folio/kv\" and j[\"size_bytes\"] == 5096 and j[\"blocks\"] == 2, j
assert j[\"models\"] == [{\"fingerprint\": \"00112233aabbccdd\", \"size_bytes\": 5096, \"blocks\": 2}], j
"'
"$F" cache >"$T/k2.out"
check "cache names the folder" 'grep -q "$XDG_CACHE_HOME/folio/kv: 2 blocks" "$T/k2.out"'
"$F" cache --clear >"$T/k3.out"
check "cache --clear deletes the blocks" '[ -z "$(ls "$K" | grep kvb)" ] && grep -q "cleared" "$T/k3.out"'
check "cache --clear leaves files that are not the cache's" '[ -f "$K/README" ]'
check "an empty cache is 0 blocks" '"$F" cache --json | grep -q "\"blocks\":0"'

# ---- --help lists the new commands ----
check "folio --help lists libraries and cache" '"$F" --help | grep -q "^  libraries" && "$F" --help | grep -q "^  cache"'

echo "$fails failed"
[ $fails -eq 0 ]
