#!/usr/bin/env python3
"""CUAD measure of folio ask against plain folio search on the contract fixtures.

For every labelled (contract, category) of gold.jsonl, the category's question
(tests/cuad/questions.tsv) is asked about that contract alone; a pair counts as found when
the text of one of its gold spans (white space aside; every segment of a split span) stands in
one of the first three citations. folio search gets the same questions and its first three
passages. Usage: cuad_measure.py FOLIO CONTRACTS_DIR TMP_DIR {pdf|txt} [MIN_ASK_PERCENT]
Exits 1 when ask finds fewer pairs than MIN_ASK_PERCENT of them."""
import json, os, re, shutil, sqlite3, subprocess, sys

folio, contracts, tmp, kind = sys.argv[1:5]
min_ask = float(sys.argv[5]) if len(sys.argv) > 5 else None
here = os.path.dirname(os.path.abspath(__file__))
questions = {}
for line in open(os.path.join(here, "cuad", "questions.tsv"), encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    cat, q = line.rstrip("\n").split("\t")
    questions[cat] = q

docs = os.path.join(tmp, "cuad-" + kind, "docs")
shutil.rmtree(os.path.dirname(docs), ignore_errors=True)
shutil.copytree(os.path.join(contracts, kind), docs)
env = dict(os.environ)
for x in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
    env[x] = os.path.join(tmp, "cuad-" + kind, x.lower())
env.pop("FOLIO_MODEL", None)
subprocess.run([folio, "index", docs], env=env, check=True, stdout=subprocess.DEVNULL)
db = sqlite3.connect(os.path.join(docs, ".folio", "index.db"))


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


def found(spans, texts, src):
    texts = [norm(t) for t in texts]
    for sp in spans:
        parts = [norm(src[p["txt_start"]:p["txt_end"]]) for p in sp.get("segments") or []]
        parts = [p for p in parts if p] or [norm(sp["text"])]
        if any(all(p in t for p in parts) for t in texts):
            return True
    return False


def run(args):
    r = subprocess.run([folio] + args, env=env, capture_output=True, text=True)
    return r.stdout


def ask_texts(path, q):
    out = run(["ask", q, "--in", path, "--json", "-k", "3", "--no-model"])
    return [c["text"] for c in json.loads(out)["citations"]][:3] if out.strip() else []


def search_texts(name, q):
    glob = re.sub(r"([*?\[])", r"[\1]", name)
    out = run(["search", q, "--in", docs, "--path", glob, "--limit", "3", "--json"])
    texts = []
    for line in out.splitlines()[:3]:
        h = json.loads(line)
        row = db.execute(
            "SELECT c.text FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = ?"
            " AND c.page = ? AND c.line_start = ? AND c.line_end = ?",
            (h["path"], h["page"] or 0, h["line_start"], h["line_end"])).fetchone()
        if row:
            texts.append(row[0])
    return texts


pairs = ask_hits = search_hits = 0
misses = []
for line in open(os.path.join(contracts, "gold.jsonl"), encoding="utf-8"):
    g = json.loads(line)
    name = os.path.basename(g[kind if kind == "txt" else "file"])
    path = os.path.join(docs, name)
    src = open(os.path.join(contracts, g["txt"]), encoding="utf-8").read()
    for lab in g["labels"]:
        if not lab["present"] or not lab["spans"]:
            continue
        q = questions[lab["category"]]
        pairs += 1
        a = found(lab["spans"], ask_texts(path, q), src)
        s = found(lab["spans"], search_texts(name, q), src)
        ask_hits += a
        search_hits += s
        if not a:
            misses.append("%s: %s" % (g["contract_type"], lab["category"]))

pct = lambda k: 100.0 * k / pairs if pairs else 0.0
print("CUAD %s: %d labelled (contract, category) pairs; a gold span in the first 3 citations:"
      % (kind, pairs))
print("  folio ask    %d/%d (%.1f%%)" % (ask_hits, pairs, pct(ask_hits)))
print("  folio search %d/%d (%.1f%%)" % (search_hits, pairs, pct(search_hits)))
if os.environ.get("CUAD_VERBOSE"):
    print("  ask missed: " + "; ".join(misses))
if min_ask is not None and pct(ask_hits) < min_ask:
    print("FAIL: ask found %.1f%%, below the %.1f%% floor" % (pct(ask_hits), min_ask))
    sys.exit(1)
