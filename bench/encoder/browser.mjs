// Encoder latency in headless Chromium (/usr/bin/chromium via playwright-core), one thread, one page:
// kfembed with the relaxed-SIMD kernels, kfembed with SIMD128 (relaxedSimd: false) and onnxruntime-web 1.30
// (wasm) on the same base2 weights and token ids, interleaved rounds, medians, L = 16/32/64/128; with
// --full, the full-size int8 package at L = 32/128 (both backends); onnxruntime-node (native, 1 thread) on
// the same ids when its binary is in node_modules; and the gzip size of what a browser downloads to run
// kfembed (js/*.js + js/wasm/*).
//   node bench/encoder/browser.mjs [--rounds N] [--full]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
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
const LENGTHS = [16, 32, 64, 128];
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function referenceModel(preset) {
  const dir = path.join(os.tmpdir(), `kfembed-ref-${preset}`);
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    execFileSync('/usr/bin/python3', [path.join(REF, 'make_model.py'), preset, dir], { stdio: 'inherit' });
  }
  return dir;
}

// --- runtime download size -------------------------------------------------------------------------------
const jsDir = path.join(ROOT, 'js');
const shipped = [...fs.readdirSync(jsDir).filter((f) => f.endsWith('.js')).map((f) => path.join(jsDir, f)),
  ...['kfembed.mjs', 'kfembed.wasm', 'kfembed_relaxed.wasm'].map((f) => path.join(jsDir, 'wasm', f))];
const gz = (f) => zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length;
const total = shipped.reduce((n, f) => n + gz(f), 0);
console.log(`runtime download (js/*.js + js/wasm/*, gzip -9): ${(total / 1024).toFixed(1)} KiB ` +
  `(kfembed.wasm ${(gz(path.join(jsDir, 'wasm/kfembed.wasm')) / 1024).toFixed(1)} KiB, ` +
  `kfembed_relaxed.wasm ${(gz(path.join(jsDir, 'wasm/kfembed_relaxed.wasm')) / 1024).toFixed(1)} KiB)`);

// --- base2 in Chromium --------------------------------------------------------------------------------------
const base2 = referenceModel('base2');
const mounts = {
  '/js/': jsDir,
  '/bench/': HERE,
  '/ort/': path.join(ROOT, 'node_modules/onnxruntime-web/dist'),
  '/onnx/': path.dirname(ONNX),
  '/base2/': base2,
};
const fullDir = process.argv.includes('--full') ? path.join(os.tmpdir(), 'kfembed-ref-full-int8') : null;
if (fullDir) {
  if (!fs.existsSync(path.join(fullDir, 'manifest.json'))) {
    const convert = process.env.KFEMBED_CONVERT ?? path.join(ROOT, 'build/native/src/tools/kfembed-convert');
    execFileSync(convert, [referenceModel('full'), fullDir, '--embeddings', 'int8'], { stdio: 'inherit' });
  }
  mounts['/full/'] = fullDir;
}
const server = await startServer(mounts);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
  await page.goto(server.url('/bench/browser.html'));
  await page.waitForFunction(() => window.benchReady === true);
  const r = await page.evaluate((a) => window.benchBase2(a), {
    model: server.url('/base2/'), onnx: server.url(`/onnx/${path.basename(ONNX)}`), lengths: LENGTHS, rounds,
  });
  console.log(`Chromium ${browser.version()}, base2 (2 layers, 768 hidden, 12 heads, 3072 FFN), int8, ${rounds} interleaved rounds, 1 thread`);
  console.log(`backends: ${r.backends.join(' / ')}`);
  console.log('   L   relaxed ms   simd128 ms   ort-web ms   relaxed/ort   simd128/ort   simd128/relaxed');
  for (const row of r.rows) {
    console.log(`${String(row.L).padStart(4)} ${row.relaxed.toFixed(2).padStart(12)} ${row.simd128.toFixed(2).padStart(12)} ` +
      `${row.ort.toFixed(2).padStart(12)} ${(row.relaxed / row.ort).toFixed(3).padStart(13)} ` +
      `${(row.simd128 / row.ort).toFixed(3).padStart(13)} ${(row.simd128 / row.relaxed).toFixed(2).padStart(17)}`);
  }

  // --- onnxruntime-node, native, 1 thread, same ids ------------------------------------------------------
  let nativeOrt = null;
  try {
    nativeOrt = createRequire(import.meta.url)('onnxruntime-node');
  } catch (e) {
    console.log(`onnxruntime-node not available (${e.message.split('\n')[0]}): no native reference`);
  }
  if (nativeOrt) {
    const session = await nativeOrt.InferenceSession.create(ONNX, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    console.log('   L   ort-node ms   relaxed/ort-node');
    for (const row of r.rows) {
      const feeds = {
        input_ids: new nativeOrt.Tensor('int64', BigInt64Array.from(row.ids, BigInt), [1, row.L]),
        attention_mask: new nativeOrt.Tensor('int64', new BigInt64Array(row.L).fill(1n), [1, row.L]),
      };
      for (let i = 0; i < 3; i++) await session.run(feeds);
      const samples = [];
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        await session.run(feeds);
        samples.push(performance.now() - t0);
      }
      const ms = median(samples);
      console.log(`${String(row.L).padStart(4)} ${ms.toFixed(2).padStart(13)} ${(row.relaxed / ms).toFixed(2).padStart(18)}`);
    }
    await session.release();
  }

  if (fullDir) {
    const f = await page.evaluate((a) => window.benchFull(a), { model: server.url('/full/'), lengths: [32, 128], rounds: 5 });
    console.log('full model (12 layers, 130k vocab), int8 package:');
    for (const row of f.rows) console.log(`  ${row.backend.padEnd(18)} L=${String(row.L).padStart(3)} ${row.ms.toFixed(1)} ms`);
  }
} finally {
  await browser.close();
  await server.close();
}
