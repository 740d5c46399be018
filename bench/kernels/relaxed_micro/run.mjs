// Relaxed-SIMD micro-bench in headless Chromium: the shipping SIMD128 int8 GEMM (as LinearI8 chooses it)
// against int8 GEMMs on relaxed dots whose second operand stays in 0..127 (exact under every lowering), at
// the encoder's shapes, interleaved rounds, medians; each kernel's y checked byte for byte against the scalar
// twin in the page first. Builds its modules (build.sh) unless --no-build.
//   node bench/kernels/relaxed_micro/run.mjs [--rounds N] [--no-build]
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../../tests/js/helpers.mjs';
import { startServer } from '../../../tests/js/server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('--rounds', 9));
if (!process.argv.includes('--no-build')) execFileSync(path.join(HERE, 'build.sh'), { stdio: 'inherit' });

const NK = [[2304, 768], [768, 768], [3072, 768], [768, 3072]];
const shapes = [];
for (const m of [16, 32, 64, 128]) for (const [n, k] of NK) shapes.push([m, n, k]);
// Ragged shapes for the byte checks (timed too, but not reported in the table).
shapes.push([7, 13, 37], [1, 5, 9], [3, 4, 2051]);

const server = await startServer({ '/bench/': HERE, '/out/': path.join(ROOT, 'build/relaxed_micro') });
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(server.url('/bench/page.html'));
  await page.waitForFunction(() => window.microReady === true);
  const r = await page.evaluate((a) => window.runShapes(a), { shapes, rounds, minMs: 15 });
  console.log(`Chromium ${browser.version()}; probe: ${['none (pmaddubsw or other)', 'u8s8', 's8s8'][r.probe]}; ${rounds} interleaved rounds, medians`);
  const V = ['i7pair', 'i16br', 'nib1', 'nib2', 'u8s8'];
  console.log('(u8s8: the shipping kU8S8 kernel, not exact here; its speed is the ceiling of one relaxed dot per 16 MACs)');
  console.log(`    M     N     K  simd128 path  simd128 ms ${V.map((v) => `${v} ms`.padStart(10)).join('')}  ` +
    `${V.map((v) => `simd/${v}`.padStart(12)).join('')}  byte-identical to scalar`);
  let bad = false;
  for (const x of r.rows) {
    const id = Object.entries(x.identical).map(([v, ok]) => `${v}:${ok ? 'yes' : 'NO'}`).join(' ');
    bad ||= Object.entries(x.identical).some(([v, ok]) => v !== 'u8s8' && !ok);
    console.log(`${String(x.m).padStart(5)} ${String(x.n).padStart(5)} ${String(x.k).padStart(5)}  ${x.path.padEnd(12)} ` +
      `${x.ms.simd128.toFixed(3).padStart(11)} ${V.map((v) => x.ms[v].toFixed(3).padStart(10)).join('')}  ` +
      `${V.map((v) => (x.ms.simd128 / x.ms[v]).toFixed(2).padStart(12)).join('')}  ${id}`);
  }
  if (bad) {
    console.error('an exact kernel differs from the scalar twin');
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  await server.close();
}
