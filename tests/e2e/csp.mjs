// Runs on load (tests/js/csp-browser.test.mjs): load() + encode() + tokenize() of the model at ?model=URL,
// in the page or, with ?worker=1, in the Worker; the tokenizer alone and a SemanticIndex too. Puts { vectors, ids, tokenizerIds,
// violations } or { error, violations } in window.cspResult. Any eval or new Function the package did would
// throw here (the page's policy has no 'unsafe-eval') and be listed as a violation.
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));

const TEXTS = ['한 남자가 피자를 먹는다.', '비행기가 이륙하고 있다.', ''];

async function run() {
  const params = new URLSearchParams(location.search);
  const url = new URL(params.get('model'), location.href).href;
  const kfembed = await import(params.get('package') ?? '/js/index.js');
  const model = await kfembed.load(url, { dtype: 'fp32', cache: false, worker: params.get('worker') === '1' });
  const vectors = (await model.encode(TEXTS)).map((v) => Array.from(v));
  const ids = Array.from(model.tokenize(TEXTS[0]));
  model.dispose();
  const tokenizer = await kfembed.loadTokenizer(url);
  const tokenizerIds = Array.from(tokenizer.encode(TEXTS[0]));
  const tokens = tokenizer.tokens(TEXTS[0]);
  tokenizer.dispose();
  const index = new kfembed.SemanticIndex();
  await index.add(vectors);
  const hits = await index.search(vectors[1], 2);
  index.dispose();
  return { vectors, ids, tokenizerIds, tokens, hits };
}

run().then(
  (result) => { window.cspResult = { ...result, violations }; },
  (e) => { window.cspResult = { error: `${e?.name}: ${e?.message ?? e}`, violations }; },
);
