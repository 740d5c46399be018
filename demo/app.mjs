// The demo page: loads the model (Worker when available), embeds the KorSTS corpus into a SemanticIndex kept
// in IndexedDB, and answers queries as you type. Everything runs in this tab.
//
// URL parameters (all optional):
//   model=<url>    model directory (default: what the server's config.json names: the original hub repository,
//                  falling back to ../model/ (the tiny random-weight model) when it cannot be loaded, or
//                  `npm start --model`'s model)
//   corpus=<n>     index only the first n sentences (1..3000; tests use small ones)
//   dtype=fp32|int8, worker=0|1, int8=0|1 (int8 index), sw=0 (no service worker)
//   q=<text>       a query to run once ready (the page keeps it in the address bar: links are shareable)
import { load, SemanticIndex } from '../js/index.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const STORAGE_MODEL = 'kfembed-demo:model';
/** Indexing batches aim at this many ms each, so a query typed meanwhile waits at most about that long. */
const BATCH_TARGET_MS = 250;

/** The server's choice of model ({ model, fallback }, URLs relative to the site); ../model/ without one. */
async function serverModel() {
  try {
    const response = await fetch(new URL('config.json', location.href), { cache: 'no-cache' });
    if (response.ok) {
      const { model, fallback } = await response.json();
      if (model) return { model: new URL(model, location.href).href, fallback: fallback ? new URL(fallback, location.href).href : null };
    }
  } catch {
    // static hosting without config.json
  }
  return { model: new URL('../model/', location.href).href, fallback: null };
}

const chosen = params.get('model') || localStorage.getItem(STORAGE_MODEL);
const served = chosen ? { model: chosen, fallback: null } : await serverModel();
const config = {
  model: served.model,
  /** Loaded, with a notice, when `model` fails (the hub unreachable): the bundled tiny model. */
  fallback: served.fallback,
  corpusLimit: Math.max(1, Math.min(3000, Number(params.get('corpus')) || 3000)),
  dtype: params.get('dtype') || undefined,
  worker: params.get('worker') !== '0',
  int8: params.get('int8') === '1',
  serviceWorker: params.get('sw') !== '0',
};

const SEARCH_HINT = '입력을 멈추면 바로 검색합니다 · 점수는 코사인 유사도(1에 가까울수록 같은 뜻)';

const numberFormat = new Intl.NumberFormat('ko-KR');
const fmt = (n) => numberFormat.format(n);
const mb = (bytes) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)}MB`;
const ms = (t) => (t < 10 ? t.toFixed(1) : Math.round(t)).toString();

/** Everything the page holds; window.kfDemo for debugging and the end-to-end tests. */
const demo = {
  config,
  state: 'loading',
  model: null,
  index: null,
  corpus: [],
  indexSource: null, // 'stored' | 'built' | 'resumed'
  modelSource: null, // 'model' | 'fallback': which of config.model / config.fallback runs
  fallbackReason: null, // why config.model did not load
  embeddedNow: 0,
  error: null,
  lastResults: [],
  pendingSearches: 0, // typed queries not answered yet (indexing pauses for them)
  timings: {},
};
window.kfDemo = demo;

// ---------------------------------------------------------------------------------------------------- status
function setState(state, title, detail = '', progress = null, technical = '') {
  demo.state = state;
  document.body.dataset.state = state;
  const pill = { loading: '불러오는 중', indexing: '색인 중', ready: '준비 완료', error: '오류' }[state];
  $('status-pill').textContent = pill;
  $('status-title').textContent = title;
  $('status-detail').textContent = detail || '\u00a0';
  $('status-actions').hidden = state !== 'error';
  $('status-error').hidden = !technical;
  $('status-error').textContent = technical;
  if (progress !== null) {
    const pct = Math.max(0, Math.min(100, progress * 100));
    $('progress-bar').style.width = `${pct.toFixed(1)}%`;
    $('progress').setAttribute('aria-valuenow', pct.toFixed(0));
  }
  const usable = demo.model && demo.index && demo.index.size > 0 && state !== 'error';
  $('query').disabled = !usable;
  $('compare').disabled = !demo.model || state === 'error';
}

/** A Korean explanation of a load error (the technical message is shown below it). */
function explainError(e) {
  const message = e?.message ?? String(e);
  if (/HTTP 404|file not found/i.test(message)) return '모델 파일을 찾을 수 없습니다. 모델 위치(URL)가 올바른지 확인해 주세요.';
  if (/HTTP (401|403)/.test(message)) return '모델 파일에 접근할 권한이 없습니다. 공개된 모델 위치인지 확인해 주세요.';
  if (/request failed|Failed to fetch|NetworkError|CORS/i.test(message)) {
    return '네트워크 오류로 모델을 내려받지 못했습니다. 연결 상태와 CORS 설정을 확인한 뒤 다시 시도해 주세요.';
  }
  if (/out of memory/i.test(message)) return '메모리가 부족합니다. 다른 탭을 닫고 다시 시도해 주세요.';
  return '모델을 준비하는 중 문제가 생겼습니다. 아래 메시지를 확인해 주세요.';
}

// ----------------------------------------------------------------------------------------------- loading
function progressTracker() {
  const files = new Map();
  let fromCache = false;
  let last = 0;
  return (p) => {
    if (p.phase === 'cache-warning' || p.phase === 'retry') {
      if (p.phase === 'retry') $('status-detail').textContent = `연결이 끊겨 다시 시도하는 중… (${p.attempt}회)`;
      return;
    }
    if (p.phase === 'cache') fromCache = true;
    files.set(p.file, { loaded: p.loaded, total: Math.max(p.total, p.loaded) });
    const now = performance.now();
    if (now - last < 50 && p.loaded !== p.total) return;
    last = now;
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total += f.total;
    }
    const biggest = [...files.entries()].sort((a, b) => b[1].total - a[1].total)[0];
    // A float checkpoint (model.safetensors, shards) is quantized to int8 while it downloads.
    const converting = /(^|\/)model[-.].*safetensors$/.test(biggest[0]) && !biggest[0].includes('int8');
    const title = fromCache ? '저장된 모델을 불러오는 중…' : converting ? '모델을 내려받으며 int8로 변환하는 중…' : '모델 내려받는 중…';
    setState('loading', title, `${biggest[0]} · ${mb(loaded)} / ${mb(total)}`, total ? loaded / total : 0);
  };
}

/** A short fingerprint of the corpus, so a stored index is reused only for the same sentences. */
function fingerprint(texts) {
  let h = 0x811c9dc5;
  for (const t of texts) {
    for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 10, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

const sleep = (t) => new Promise((resolve) => setTimeout(resolve, t));

function remaining(seconds) {
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 60) return ` · 약 ${Math.max(1, Math.round(seconds))}초 남음`;
  return ` · 약 ${Math.round(seconds / 60)}분 남음`;
}

async function start() {
  demo.error = null;
  demo.embeddedNow = 0;
  $('status-note').hidden = true;
  setState('loading', '모델을 불러오는 중…', '', 0);
  const started = performance.now();
  try {
    const corpusPromise = fetch(new URL('assets/korsts.json', location.href)).then((r) => {
      if (!r.ok) throw new Error(`assets/korsts.json: HTTP ${r.status}`);
      return r.json();
    });
    demo.model?.dispose();
    demo.model = null;
    const options = { onProgress: progressTracker(), worker: config.worker };
    if (config.dtype) options.dtype = config.dtype;
    demo.fallbackReason = null;
    try {
      demo.model = await load(config.model, options);
      demo.modelSource = 'model';
    } catch (e) {
      if (!config.fallback) throw e;
      console.warn(`${config.model}: ${e.message}; loading ${config.fallback} instead`);
      demo.fallbackReason = e?.message ?? String(e);
      setState('loading', '개발용 소형 모델을 불러오는 중…', '', 0);
      demo.model = await load(config.fallback, { ...options, onProgress: progressTracker() });
      demo.modelSource = 'fallback';
    }
    demo.timings.modelMs = performance.now() - started;
    const corpus = (await corpusPromise).sentences.slice(0, config.corpusLimit);
    demo.corpus = corpus;
    $('corpus-count').textContent = fmt(corpus.length);
    if (demo.modelSource === 'fallback') {
      $('status-note').textContent = `실제 모델(${config.model})을 불러올 수 없어 개발용 소형 모델(무작위 가중치)로 ` +
        '동작 중입니다. 검색 결과의 의미는 맞지 않습니다. 인터넷에 연결되면 새로 고침해 주세요. ' +
        `(${demo.fallbackReason})`;
      $('status-note').hidden = false;
    } else if (demo.model.dim < 256) {
      $('status-note').textContent = '개발용 소형 모델(무작위 가중치)로 동작 중입니다. 검색 결과의 의미는 맞지 않으며, ' +
        '실제 모델은 설정에서 모델 위치를 바꾸면 쓸 수 있습니다.';
      $('status-note').hidden = false;
    }
    await buildIndex(corpus);
    const total = performance.now() - started;
    demo.timings.totalMs = total;
    const bytes = demo.index.size * demo.model.dim * (config.int8 ? 1 : 4);
    const how = demo.indexSource === 'stored' ? '저장된 색인 사용' : `문장 ${fmt(demo.embeddedNow)}개 임베딩`;
    setState('ready', '준비 완료 — 문장을 입력해 보세요',
      `문장 ${fmt(demo.index.size)}개 · ${demo.model.dim}차원 · ${config.int8 ? 'int8' : 'float32'} 색인 ${mb(bytes)} · ` +
      `${how} · ${(total / 1000).toFixed(1)}초`, 1);
    $('engine-info').textContent = `모델: ${runningModel()} · ${config.worker ? 'Web Worker' : '메인 스레드'} 실행 · ` +
      `스레드 ${demo.model.threads}개 · 최대 ${demo.model.maxSeqLength}토큰`;
    if ($('query').value.trim()) scheduleSearch(0);
    else $('search-meta').textContent = SEARCH_HINT;
  } catch (e) {
    console.error(e);
    demo.error = e?.message ?? String(e);
    setState('error', '모델을 불러오지 못했습니다', explainError(e), null, demo.error);
  }
}

/** The URL of the model that runs (config.model, or config.fallback after it failed). */
const runningModel = () => (demo.modelSource === 'fallback' ? config.fallback : config.model);

async function buildIndex(corpus) {
  const key = `demo|${runningModel()}|${config.dtype ?? 'default'}|${config.int8 ? 'int8' : 'f32'}|` +
    `${demo.model.dim}|${corpus.length}|${fingerprint(corpus)}`;
  demo.index?.dispose();
  demo.index = null;
  demo.indexKey = key;
  let index = null;
  try {
    index = await SemanticIndex.load(key, { model: demo.model });
  } catch (e) {
    console.warn('stored index unusable, rebuilding:', e.message);
  }
  demo.indexSource = index ? 'stored' : 'built';
  index ??= new SemanticIndex({ model: demo.model, int8: config.int8 });
  demo.index = index;
  const missing = [];
  for (let i = 0; i < corpus.length; i++) if (!index.has(i)) missing.push(i);
  if (missing.length === 0) return;
  if (index.size > 0) demo.indexSource = 'resumed';

  const started = performance.now();
  let lastSave = performance.now();
  let batch = 4;
  for (let at = 0; at < missing.length;) {
    // A query typed meanwhile goes first: the model (one worker) would otherwise be busy with this batch.
    while (demo.pendingSearches > 0) await sleep(20);
    const ids = missing.slice(at, at + batch);
    at += ids.length;
    const t0 = performance.now();
    await index.add(ids.map((i) => corpus[i]), ids);
    const took = performance.now() - t0;
    demo.embeddedNow += ids.length;
    const done = corpus.length - missing.length + at;
    const rate = demo.embeddedNow / ((performance.now() - started) / 1000);
    setState('indexing', '문장을 색인하는 중…',
      `${fmt(done)} / ${fmt(corpus.length)} 문장 · 초당 ${fmt(Math.round(rate))}문장${remaining((corpus.length - done) / rate)} · ` +
      '색인하는 동안에도 검색할 수 있습니다', done / corpus.length);
    // Keep progress across reloads (a reload resumes where this stopped).
    if (performance.now() - lastSave > 5000) {
      lastSave = performance.now();
      index.save(key).catch((e) => console.warn('index save failed:', e.message));
    }
    batch = Math.max(1, Math.min(64, Math.round((batch + (batch * BATCH_TARGET_MS) / Math.max(took, 1)) / 2)));
    await sleep(0); // a turn for the page (main-thread mode computes between these)
  }
  try {
    await index.save(key);
  } catch (e) {
    console.warn('index save failed:', e.message); // private mode or quota: the page still works
  }
}

// ------------------------------------------------------------------------------------------------ search
let searchTimer = 0;
let searchSeq = 0;

function scheduleSearch(delay = 180) {
  if (!searchTimer) demo.pendingSearches++;
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    searchTimer = 0;
    runSearch().finally(() => demo.pendingSearches--);
  }, delay);
}

async function runSearch() {
  const query = $('query').value.trim();
  const seq = ++searchSeq;
  const list = $('results');
  if (!query) {
    const url = new URL(location.href);
    url.searchParams.delete('q');
    history.replaceState(null, '', url);
    list.replaceChildren();
    $('search-meta').textContent = SEARCH_HINT;
    demo.lastResults = [];
    return;
  }
  if (!demo.model || !demo.index) return;
  const k = Number($('k').value);
  document.body.dataset.searching = 'true';
  try {
    const t0 = performance.now();
    const vector = await demo.model.encode(query);
    const t1 = performance.now();
    const hits = await demo.index.search(vector, k);
    const t2 = performance.now();
    if (seq !== searchSeq) return; // a newer query is on its way
    demo.lastResults = hits;
    demo.lastQuery = query;
    const url = new URL(location.href);
    url.searchParams.set('q', query);
    history.replaceState(null, '', url);
    renderResults(hits);
    $('search-meta').textContent = `결과 ${hits.length}개 · 문장 ${fmt(demo.index.size)}개 중 · 임베딩 ${ms(t1 - t0)}ms · ` +
      `검색 ${ms(t2 - t1)}ms`;
  } catch (e) {
    if (seq !== searchSeq) return;
    $('search-meta').textContent = `검색 중 오류: ${e.message}`;
  } finally {
    if (seq === searchSeq) {
      document.body.dataset.searching = 'false';
      document.body.dataset.searchSeq = String(seq);
    }
  }
}

function renderResults(hits) {
  const list = $('results');
  if (hits.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = '아직 색인된 문장이 없습니다.';
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(...hits.map((hit, i) => {
    const li = document.createElement('li');
    li.className = 'result';
    li.dataset.id = String(hit.id);
    li.dataset.score = String(hit.score);
    const rank = document.createElement('span');
    rank.className = 'rank';
    rank.textContent = String(i + 1);
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = hit.text ?? `#${hit.id}`;
    const score = document.createElement('span');
    score.className = 'score';
    const value = document.createElement('span');
    value.className = 'score-value';
    value.textContent = hit.score.toFixed(3);
    const bar = document.createElement('span');
    bar.className = 'score-bar';
    const fill = document.createElement('i');
    fill.style.width = `${Math.max(0, Math.min(1, hit.score)) * 100}%`;
    bar.append(fill);
    score.append(value, bar);
    li.append(rank, text, score);
    return li;
  }));
}

// ----------------------------------------------------------------------------------------------- compare
function similarityLabel(s) {
  if (s >= 0.8) return '거의 같은 뜻';
  if (s >= 0.6) return '비슷한 뜻';
  if (s >= 0.4) return '조금 관련 있음';
  return '관련 적음';
}

async function compare() {
  const a = $('sent-a').value.trim();
  const b = $('sent-b').value.trim();
  if (!a || !b || !demo.model) return;
  $('compare').disabled = true;
  try {
    const [va, vb] = await demo.model.encode([a, b]);
    const s = demo.model.similarity(va, vb);
    demo.lastSimilarity = s;
    $('meter').hidden = false;
    $('meter-fill').style.width = `${Math.max(0, Math.min(1, s)) * 100}%`;
    $('meter-value').textContent = s.toFixed(3);
    $('meter-label').textContent = similarityLabel(s);
  } catch (e) {
    $('meter').hidden = false;
    $('meter-value').textContent = '—';
    $('meter-label').textContent = `오류: ${e.message}`;
  } finally {
    $('compare').disabled = false;
  }
}

// ------------------------------------------------------------------------------------------------- wiring
$('query').addEventListener('input', () => scheduleSearch());
$('query').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.isComposing) scheduleSearch(0);
});
for (const id of ['sent-a', 'sent-b']) {
  $(id).addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) compare();
  });
}
if (params.get('q')) $('query').value = params.get('q');
$('k').addEventListener('change', () => scheduleSearch(0));
for (const button of document.querySelectorAll('.example')) {
  button.addEventListener('click', () => {
    $('query').value = button.textContent;
    $('query').focus();
    scheduleSearch(0);
  });
}
$('compare').addEventListener('click', compare);
$('retry').addEventListener('click', () => start());
$('open-settings').addEventListener('click', () => {
  $('settings').open = true;
  $('model-url').focus();
  $('settings').scrollIntoView({ behavior: 'smooth', block: 'start' });
});
$('model-url').value = config.model;
// The picker fills the URL field with one of the card's models (or leaves a typed URL alone).
const picked = [...$('model-pick').options].find((o) => o.value && o.value === config.model);
$('model-pick').value = picked ? picked.value : '';
$('model-pick').addEventListener('change', () => {
  if ($('model-pick').value) $('model-url').value = $('model-pick').value;
});
$('opt-int8').checked = config.int8;
$('opt-worker').checked = config.worker;
$('settings-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const url = new URL(location.href);
  const model = $('model-url').value.trim();
  if (model) localStorage.setItem(STORAGE_MODEL, model);
  else localStorage.removeItem(STORAGE_MODEL);
  url.searchParams.delete('model');
  url.searchParams.set('int8', $('opt-int8').checked ? '1' : '0');
  url.searchParams.set('worker', $('opt-worker').checked ? '1' : '0');
  location.href = url.href;
});
$('clear-index').addEventListener('click', async () => {
  if (demo.indexKey) await SemanticIndex.deleteSaved(demo.indexKey).catch(() => {});
  location.reload();
});

if (config.serviceWorker && 'serviceWorker' in navigator && location.protocol !== 'file:') {
  navigator.serviceWorker.register(new URL('../sw.js', location.href), { scope: '/' }).catch((e) => {
    console.warn('service worker not registered (no offline mode):', e.message);
  });
}

start();
