#!/usr/bin/env bash
# tests/bench/bench_code.sh: folio code against anchors measured in the same run, on DIR
# (FOLIO_BENCH_CODE_DIR, default /usr/include):
#   indexing with references: folio index DIR vs ctags -R DIR (best of FOLIO_BENCH_RUNS, 1);
#   lookups: folio code DIR --def NAME and --refs NAME, p50/p99 wall time per command over
#   FOLIO_BENCH_NAMES function names that ctags found (40), vs grep -rnw NAME DIR over
#   FOLIO_BENCH_GREP_NAMES of them (10; each greps the whole tree).
set -eu
F=${FOLIO_BIN:?}
DIR=${FOLIO_BENCH_CODE_DIR:-/usr/include}
RUNS=${FOLIO_BENCH_RUNS:-1}
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/bench_code.XXXXXX")
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache XDG_CONFIG_HOME=$T/config
best() { # best wall time of RUNS runs of "$@", in seconds
  local b=999
  for _ in $(seq "$RUNS"); do
    local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; local e=$(date +%s.%N)
    b=$(echo "if ($e - $s < $b) $e - $s else $b" | bc -l)
  done
  echo "$b"
}
ctags_all() { rm -f "$T/tags"; ctags -R -f "$T/tags" "$DIR"; }
folio_all() { rm -f "$T"/code.db*; "$F" index "$DIR" --db "$T/code.db" --quiet; }
a=$(best ctags_all)
b=$(best folio_all)
files=$(sqlite3 "$T/code.db" "SELECT count(*) FROM documents WHERE kind = 'code'")
occ=$(sqlite3 "$T/code.db" "SELECT total(n) FROM doc_refs")
printf 'index %s with references (%d code files, %.0f references): folio %.2f s, ctags -R %.2f s,' \
  "$DIR" "$files" "$occ" "$b" "$a"
printf ' ratio %.2fx (goal <= 1.5x)\n' "$(echo "$b / $a" | bc -l)"
python3 - "$F" "$DIR" "$T" "${FOLIO_BENCH_NAMES:-40}" "${FOLIO_BENCH_GREP_NAMES:-10}" <<'EOF'
import subprocess, sys, time
F, d, T, n, g = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
names = sorted({l.split("\t")[0] for l in open(T + "/tags", errors="replace")
                if "\tf\t" in l or l.rstrip().endswith(";\"\tf") or "\tkind:f" in l
                or l.split("\t")[-1].strip() == "f"})
names = [x for x in names if x.isidentifier()]
step = max(1, len(names) // n)
sample = names[::step][:n]
def run(cmd):
    s = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - s) * 1000
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
res = {}
for what in ("--def", "--refs"):
    res[what] = [run([F, "code", d, "--db", T + "/code.db", what, x]) for x in sample]
grep = [run(["grep", "-rnw", x, d]) for x in sample[:g]]
for what, v in res.items():
    print("folio code %s over %d names: p50 %.1f ms, p99 %.1f ms (goal < 50 ms)" %
          (what, len(v), pct(v, 50), pct(v, 99)))
print("grep -rnw over %d of them: p50 %.0f ms, p99 %.0f ms; ratio of p50s: --def %.3f, --refs %.3f"
      % (len(grep), pct(grep, 50), pct(grep, 99), pct(res["--def"], 50) / pct(grep, 50),
         pct(res["--refs"], 50) / pct(grep, 50)))
EOF
