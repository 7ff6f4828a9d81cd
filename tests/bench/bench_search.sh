#!/usr/bin/env bash
# tests/bench/bench_search.sh: search latency on an index of /usr/include: 1,000 literal queries
# (symbol names sampled from the index, then 1,000 parts of names) through idx_search, p50/p99,
# against grep -rF of the same strings over /usr/include (a sample of 20 queries: each is a full
# scan).
set -eu
B=${1:?usage: bench_search.sh BENCH_SEARCH_BINARY}
F=${FOLIO_BIN:?}
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/bench_search.XXXXXX")
export XDG_STATE_HOME=$T/state
DB=${FOLIO_BENCH_INCLUDE_DB:-$T/include.db} # bench_ingest.sh leaves it there when set
[ -s "$DB" ] || "$F" index /usr/include --db "$DB" --quiet >/dev/null 2>&1 || true
sqlite3 "$DB" "SELECT DISTINCT name FROM symbols WHERE length(name) >= 4 ORDER BY random() LIMIT 1000" >"$T/q.txt"
"$B" "$DB" "$T/q.txt" "symbol names"
# Parts of identifiers (the name without its first and last character): the substring path.
sqlite3 "$DB" "SELECT DISTINCT substr(name, 2, length(name) - 2) FROM symbols WHERE length(name) >= 6 ORDER BY random() LIMIT 1000" >"$T/q2.txt"
"$B" "$DB" "$T/q2.txt" "parts of identifiers"
head -20 "$T/q.txt" >"$T/g.txt"
python3 - "$T/g.txt" <<'PY'
import subprocess, sys, time
lat = []
for q in open(sys.argv[1]).read().split("\n"):
    if not q: continue
    t = time.monotonic()
    subprocess.run(["grep", "-rFl", "--", q, "/usr/include"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lat.append((time.monotonic() - t) * 1000)
lat.sort()
print("grep -rF: %d queries: p50 %.1f ms, p99 %.1f ms" % (len(lat), lat[len(lat) // 2], lat[-1]))
PY
rm -rf "$T"
