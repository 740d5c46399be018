// Threads in headless Chromium on a cross-origin-isolated page (COOP + COEP, as `npm start` serves the demo):
// kfembed with 1 and 2 threads against onnxruntime-web 1.30 with the same thread count in the same page,
// same base2 weights and token ids, interleaved rounds, medians, L = 16/32/64/128, plus KorSTS throughput;
// with --full also the full-size int8 package (kfembed 1 vs 2 threads; no ONNX export of it exists here).
//   node bench/encoder/threads.mjs [--rounds N] [--full] [--threads 1,2]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../tests/js/helpers.mjs';
import { startServer } from '../../tests/js/server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const REF = path.resolve(ROOT, '../shared/reference');
const ONNX = path.join(REF, 'base2-onnx/onnx/model_quantized.onnx');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('--rounds', 15));
const threads = arg('--threads', '1,2').split(',').map(Number);
const LENGTHS = [16, 32, 64, 128];

function referenceModel(preset) {
  const dir = path.join(os.tmpdir(), `kfembed-ref-${preset}`);
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    execFileSync('/usr/bin/python3', [path.join(REF, 'make_model.py'), preset, dir], { stdio: 'inherit' });
  }
  return dir;
}
// 512 KorSTS dev sentences (the first of each pair), as a batch.
const sentences = fs.readFileSync(path.resolve(ROOT, '../shared/data/kor-nlu/sts-dev.tsv'), 'utf8').trim().split('\n')
  .slice(1).map((l) => l.split('\t')[5]).filter(Boolean).slice(0, 512);

const mounts = {
  '/js/': path.join(ROOT, 'js'),
  '/bench/': HERE,
  '/ort/': path.join(ROOT, 'node_modules/onnxruntime-web/dist'),
  '/onnx/': path.dirname(ONNX),
  '/base2/': referenceModel('base2'),
};
const full = process.argv.includes('--full') ? path.join(os.tmpdir(), 'kfembed-ref-full-int8') : null;
if (full) {
  if (!fs.existsSync(path.join(full, 'manifest.json'))) {
    const convert = process.env.KFEMBED_CONVERT ?? path.join(ROOT, 'build/native/src/tools/kfembed-convert');
    execFileSync(convert, [referenceModel('full'), full, '--embeddings', 'int8'], { stdio: 'inherit' });
  }
  mounts['/full/'] = full;
}
const server = await startServer(mounts, {
  extraHeaders: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
});
const browser = await launchChromium();
const fmt = (x) => x.toFixed(2).padStart(9);
async function inPage(args) {
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
  await page.goto(server.url('/bench/threads.html'));
  await page.waitForFunction(() => window.benchReady === true);
  const r = await page.evaluate((a) => window.benchThreads(a), args);
  await page.context().close();
  if (!r.isolated) throw new Error('the bench page is not cross-origin isolated');
  return r;
}
try {
  console.log(`Chromium ${browser.version()}, ${os.cpus().length} cores, ${rounds} interleaved rounds, isolated page`);
  console.log('base2 int8 (2 layers, 768 hidden, 12 heads, 3072 FFN): kfembed vs onnxruntime-web at the same thread count');
  const base2 = {};
  for (const n of threads) {
    base2[n] = await inPage({ model: server.url('/base2/'), onnx: server.url(`/onnx/${path.basename(ONNX)}`), lengths: LENGTHS, rounds, threads: [n], sentences });
  }
  console.log(`   L ${threads.map((n) => `   kf ${n}t    ort ${n}t  kf/ort`).join('')}   kf ${threads[0]}t/kf ${threads.at(-1)}t`);
  LENGTHS.forEach((L, i) => {
    const cells = threads.map((n) => { const r = base2[n].rows[i]; return `${fmt(r[`kf${n}`])}${fmt(r.ort)}${(r[`kf${n}`] / r.ort).toFixed(3).padStart(8)}`; });
    const speedup = base2[threads[0]].rows[i][`kf${threads[0]}`] / base2[threads.at(-1)].rows[i][`kf${threads.at(-1)}`];
    console.log(`${String(L).padStart(4)} ${cells.join('')} ${speedup.toFixed(2).padStart(12)}`);
  });
  console.log(`KorSTS throughput (${sentences.length} sentences, encode(array)): ` +
    threads.map((n) => `${n} thread(s) ${base2[n].throughput[n].toFixed(1)}/s (model.threads ${base2[n].reported[n]}, ${base2[n].backend})`).join(', '));
  if (full) {
    const f = await inPage({ model: server.url('/full/'), lengths: [16, 32, 64, 128], rounds: 5, threads, sentences: sentences.slice(0, 128) });
    console.log('full model (12 layers) int8 package, kfembed 1 vs 2 threads:');
    f.rows.forEach((r) => console.log(`${String(r.L).padStart(4)} ${threads.map((n) => `${n}t ${fmt(r[`kf${n}`])} ms`).join('  ')}  speedup ${(r[`kf${threads[0]}`] / r[`kf${threads.at(-1)}`]).toFixed(2)}`));
    console.log(`  KorSTS throughput (128 sentences): ${threads.map((n) => `${n}t ${f.throughput[n].toFixed(1)}/s`).join(', ')}`);
  }
} finally {
  await browser.close();
  await server.close();
}
