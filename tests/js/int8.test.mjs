// The int8 encoder through the public API (WASM): quantize-at-load fidelity on base2 (cosine to the PyTorch
// fp32 golden vectors: min ≥ 0.999, mean ≥ 0.9998), and packages written by kfembed-convert: they load from
// their manifest, give bit-for-bit the quantize-at-load vectors, and the same fidelity.
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/index.js';
import { base2Dir, compareGolden, CONVERT, convertModel, FIXTURES, modelsByLength, readJson, TINY } from './helpers.mjs';

const modelCache = (dir) => modelsByLength(dir, { dtype: 'int8' });
const convert = (from, flags) => convertModel(from, flags, 'int8');

describe('int8', () => {
  test('default dtype is int8', async () => {
    const a = await load(TINY, {});
    const b = await load(TINY, { dtype: 'int8' });
    const c = await load(TINY, { dtype: 'fp32' });
    const [va, vb, vc] = [await a.encode('비행기가 이륙하고 있다.'), await b.encode('비행기가 이륙하고 있다.'), await c.encode('비행기가 이륙하고 있다.')];
    expect(Array.from(va)).toEqual(Array.from(vb));
    expect(Array.from(va)).not.toEqual(Array.from(vc));
    [a, b, c].forEach((m) => m.dispose());
  });

  test('base2 quantized at load: min cosine ≥ 0.999, mean ≥ 0.9998', async () => {
    const golden = readJson(path.join(FIXTURES, 'golden/base2-embed-dev.json'));
    const models = modelCache(await base2Dir());
    const r = await compareGolden(models, golden);
    await models.dispose();
    console.log(`base2 int8 (WASM, quantized at load): min cos ${r.minCos.toFixed(6)} mean ${r.meanCos.toFixed(6)}`);
    expect(r.minCos).toBeGreaterThanOrEqual(0.999);
    expect(r.meanCos).toBeGreaterThanOrEqual(0.9998);
  }, 300000);

  const haveConverter = fs.existsSync(CONVERT);
  (haveConverter ? test : test.skip)('tiny package: same vectors as quantizing at load, bit for bit', async () => {
    const pkg = convert(TINY);
    expect(fs.existsSync(path.join(pkg, 'manifest.json'))).toBe(true);
    const texts = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json')).texts.slice(0, 30);
    const fromPkg = await load(pkg);
    const atLoad = await load(TINY, { dtype: 'int8' });
    for (const t of texts) expect(Array.from(await fromPkg.encode(t))).toEqual(Array.from(await atLoad.encode(t)));
    await expect(load(pkg, { dtype: 'fp32' })).rejects.toThrow(/model\.int8\.safetensors.*dtype int8/);
    fromPkg.dispose();
    atLoad.dispose();
  });

  (haveConverter ? test : test.skip)('base2 package: same fidelity; int4 embeddings load', async () => {
    const golden = readJson(path.join(FIXTURES, 'golden/base2-embed-dev.json'));
    const dir = await base2Dir();
    const models = modelCache(convert(dir));
    const r = await compareGolden(models, golden);
    await models.dispose();
    console.log(`base2 int8 package (WASM): min cos ${r.minCos.toFixed(6)} mean ${r.meanCos.toFixed(6)}`);
    expect(r.minCos).toBeGreaterThanOrEqual(0.999);
    expect(r.meanCos).toBeGreaterThanOrEqual(0.9998);

    const int4 = modelCache(convert(dir, ['--embeddings', 'int4']));
    const r4 = await compareGolden(int4, golden);
    await int4.dispose();
    console.log(`base2 int8 package, int4 embeddings (WASM): min cos ${r4.minCos.toFixed(6)} mean ${r4.meanCos.toFixed(6)}`);
    // The int4 target (see tests/cpp/int8_fidelity_test.cpp): outlier-gamma columns at int8, the rest 4-bit.
    expect(r4.minCos).toBeGreaterThanOrEqual(0.998);
    expect(r4.meanCos).toBeGreaterThanOrEqual(0.9998);
  }, 300000);
});
