// Argument checks of the public API, shared by the in-thread model, the worker proxy and the tokenizer. Each
// throws a TypeError / RangeError naming the method, the argument and what it got.

/** How a value reads in an error message: 'null', 'an array', the typed array's name, else its typeof. */
export function describeValue(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

/** `value` (a model, tokenizer or index handle) while it lives; after dispose() an Error naming `method`. */
export function live(value, method, what) {
  if (!value) throw new Error(`${method}(): the ${what} was disposed`);
  return value;
}

/** tokenize(text), encode(text): a string. */
export function checkText(text, method) {
  if (typeof text !== 'string') throw new TypeError(`${method}(text): expected a string, got ${describeValue(text)}`);
}

/** encode(texts): a string or an array of strings. */
export function checkTexts(texts) {
  if (typeof texts === 'string') return;
  if (!Array.isArray(texts)) {
    throw new TypeError(`encode(texts): expected a string or an array of strings, got ${describeValue(texts)}`);
  }
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new TypeError(`encode(texts): texts[${i}] is ${describeValue(t)}, expected a string`);
  });
}

/** similarity(a, b) of a model: two vectors of length `dim`. */
export function checkVectorPair(a, b, dim) {
  for (const [name, v] of [['a', a], ['b', b]]) {
    if (!v || v.length !== dim) throw new RangeError(`similarity(a, b): ${name} must have length ${dim}, got ${v?.length}`);
  }
}

/** A model or tokenizer source: a non-empty path or URL string (a URL object is taken as its href). */
export function sourceString(source) {
  const raw = source instanceof URL ? source.href : source;
  if (typeof raw !== 'string' || raw.length === 0) throw new TypeError('source: expected a directory path or URL string');
  return raw;
}

/** A truncation length: undefined when not given, else an integer from 2 (room for [CLS] and [SEP]) to `limit`. */
export function checkMaxLength(value, name, limit = Infinity) {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < 2 || value > limit) {
    const range = Number.isFinite(limit) ? `2..${limit}` : '≥ 2';
    throw new RangeError(`${name}: expected an integer ${range} (room for [CLS] and [SEP]), got ${value}`);
  }
  return value;
}

const DTYPES = ['int8', 'fp32'];
/** load() options.revalidate default: a cached conversion's source is checked at most once a day. */
export const DEFAULT_REVALIDATE_S = 24 * 60 * 60;

/** Validates load()'s options before any I/O; returns them with defaults applied. */
export function loadOptions(options = {}) {
  const { dtype = 'int8', onProgress, signal, cache = true, worker = false, relaxedSimd = true } = options;
  if (typeof relaxedSimd !== 'boolean') throw new TypeError('load options.relaxedSimd: expected a boolean');
  if (!DTYPES.includes(dtype)) throw new RangeError(`load options.dtype: expected 'int8' or 'fp32', got ${dtype}`);
  const maxSeqLength = checkMaxLength(options.maxSeqLength, 'load options.maxSeqLength', 512) ?? 0;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError('load options.onProgress: expected a function');
  }
  if (cache !== true && cache !== false && (cache === null || typeof cache.open !== 'function')) {
    throw new TypeError('load options.cache: expected a boolean or a CacheStorage (an object with open(name))');
  }
  const { revalidate = DEFAULT_REVALIDATE_S } = options;
  if (typeof revalidate !== 'number' || Number.isNaN(revalidate) || revalidate < 0) {
    throw new RangeError(`load options.revalidate: expected seconds ≥ 0 (Infinity: never), got ${revalidate}`);
  }
  return { dtype, maxSeqLength, onProgress, signal, cache, worker: Boolean(worker), relaxedSimd, revalidate };
}
