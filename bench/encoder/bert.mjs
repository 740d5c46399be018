// BERT and RoBERTa at ko-sbert / ko-sroberta's real geometry (make_bert_model.py: 768 hidden, 12 heads, 3072 FFN,
// 2 layers by default, --layers 12 for the full size; random weights with the reference models' LayerNorm
// outliers): kfembed's latency (WASM SIMD128, one thread) in float32 and int8 at L = 16…128, interleaved rounds,
// medians; encode(array) throughput on KorSTS test sentences; and int8 fidelity — cosine of the int8 vectors
// (quantized at load) to kfembed's own float32 ones, which match PyTorch within 1e-4 (tests/cpp/
// bert_encoder_test.cpp) — on those sentences. No ONNX peer: the reference ONNX export is DeBERTa's only.
//   node bench/encoder/bert.mjs [--rounds N] [--layers N] [--arch bert,roberta] [--sentences N]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, similarity as cosine } from '../../js/index.js';
import { median, textOfLength, timeAsync } from './timing.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('--rounds', 11));
const layers = Number(arg('--layers', 2));
const archs = arg('--arch', 'bert,roberta').split(',');
const LENGTHS = [16, 32, 64, 128];

const korsts = path.resolve(HERE, '../../../shared/data/kor-nlu/sts-test.tsv');
const sentences = [...new Set(fs.readFileSync(korsts, 'utf8').trim().split('\n').slice(1)
  .flatMap((line) => line.split('\t').slice(5, 7)))].slice(0, Number(arg('--sentences', 1000)));

for (const arch of archs) {
  const dir = path.join(os.tmpdir(), `kfembed-${arch}-base${layers}`);
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    execFileSync('/usr/bin/python3', [path.join(HERE, 'make_bert_model.py'), arch, dir, '--layers', String(layers)],
      { stdio: 'inherit' });
  }
  const models = { fp32: await load(dir, { dtype: 'fp32', maxSeqLength: 128 }), int8: await load(dir, { dtype: 'int8', maxSeqLength: 128 }) };
  console.log(`\n${arch}: ${layers} layers of 768 hidden / 12 heads / 3072 FFN, ${rounds} interleaved rounds, 1 thread`);
  console.log('   L   fp32 ms   int8 ms');
  for (const L of LENGTHS) {
    const text = textOfLength(models.fp32, L);
    const samples = { fp32: [], int8: [] };
    for (const m of Object.values(models)) for (let i = 0; i < 3; i++) await m.encode(text);
    for (let r = 0; r < rounds; r++) for (const [k, m] of Object.entries(models)) samples[k].push(await timeAsync(() => m.encode(text)));
    console.log(`${String(L).padStart(4)} ${median(samples.fp32).toFixed(1).padStart(9)} ${median(samples.int8).toFixed(1).padStart(9)}`);
  }
  const vectors = {};
  for (const [k, m] of Object.entries(models)) {
    const t = await timeAsync(async () => { vectors[k] = await m.encode(sentences); });
    console.log(`encode(${sentences.length} KorSTS sentences) ${k}: ${(sentences.length / (t / 1000)).toFixed(0)} sentences/s`);
  }
  const cos = sentences.map((_, i) => cosine(vectors.int8[i], vectors.fp32[i]));
  const mean = cos.reduce((a, b) => a + b, 0) / cos.length;
  console.log(`int8 vs float32 over ${cos.length} sentences: min cosine ${Math.min(...cos).toFixed(6)}, mean ${mean.toFixed(6)}`);
  Object.values(models).forEach((m) => m.dispose());
}
