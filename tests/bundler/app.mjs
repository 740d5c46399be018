// A minimal app that uses kfembed the way a user's bundled app does: by package name, nothing configured.
// tests/bundler/build.mjs bundles it with esbuild for the browser and for Node.
import { load, similarity } from 'kfembed';

export async function run(source, { worker = false } = {}) {
  const events = [];
  const model = await load(source, { dtype: 'fp32', worker, onProgress: (e) => events.push(e.phase) });
  const [a, b, c] = await model.encode(['한 남자가 피자를 먹는다.', '한 남자가 음식을 먹는다.', '비행기가 이륙하고 있다.']);
  const result = {
    dim: model.dim,
    ids: Array.from(model.tokenize('안녕하세요?')),
    vector: Array.from(a),
    close: similarity(a, b),
    far: model.similarity(a, c),
    phases: [...new Set(events)],
  };
  model.dispose();
  return result;
}

// Node entry: `node app.mjs <model dir or URL>` prints the result as JSON.
if (typeof process === 'object' && process.argv?.[2] && import.meta.url.endsWith('.mjs')) {
  run(process.argv[2]).then((r) => console.log(JSON.stringify(r)), (e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
