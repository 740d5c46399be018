// Bundles tests/bundler/app.mjs with esbuild, as an app would: `import … from 'kfembed'`, no plugins.
// esbuild leaves `new URL('./x', import.meta.url)` alone, so the two assets those URLs name are put beside
// the bundle: the package's worker entry ('kfembed/worker.js', bundled as a second entry point) and its
// WASM binaries ('kfembed/kfembed.wasm' → wasm/kfembed.wasm, 'kfembed/kfembed_relaxed.wasm' →
// wasm/kfembed_relaxed.wasm; without the latter the SIMD128 kernels run).
//   node tests/bundler/build.mjs <outdir> [browser|node]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function bundle(outdir, platform = 'browser') {
  fs.mkdirSync(path.join(outdir, 'wasm'), { recursive: true });
  const ext = platform === 'node' ? '.mjs' : '.js';
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: { app: path.join(here, 'app.mjs'), ...(platform === 'browser' ? { worker: 'kfembed/worker.js' } : {}) },
    bundle: true,
    format: 'esm',
    platform,
    target: platform === 'node' ? 'node20' : 'es2022',
    outdir,
    outExtension: { '.js': ext },
    logLevel: 'silent',
  });
  const require = createRequire(path.join(here, 'app.mjs'));
  for (const name of ['kfembed.wasm', 'kfembed_relaxed.wasm'])
    fs.copyFileSync(require.resolve(`kfembed/${name}`), path.join(outdir, 'wasm', name));
  if (platform === 'browser') fs.copyFileSync(path.join(here, 'index.html'), path.join(outdir, 'index.html'));
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [outdir, platform = 'browser'] = process.argv.slice(2);
  if (!outdir) throw new Error('usage: node tests/bundler/build.mjs <outdir> [browser|node]');
  const { warnings } = await bundle(path.resolve(outdir), platform);
  for (const w of warnings) console.warn(`esbuild: ${w.text}`);
  console.log(`bundled into ${outdir}`);
}
