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

/**
 * encode(texts): a string or an array of strings. An index loop, not forEach: forEach skips the holes of a
 * sparse array, which would then reach the runtime as undefined.
 */
export function checkTexts(texts) {
  if (typeof texts === 'string') return;
  if (!Array.isArray(texts)) {
    throw new TypeError(`encode(texts): expected a string or an array of strings, got ${describeValue(texts)}`);
  }
  for (let i = 0; i < texts.length; i++) {
    if (typeof texts[i] === 'string') continue;
    const hole = !(i in texts) ? ' (a hole in a sparse array)' : '';
    throw new TypeError(`encode(texts): texts[${i}] is ${describeValue(texts[i])}${hole}, expected a string`);
  }
}

/** An options argument: undefined or null give {} (the defaults); anything but a plain object is a TypeError. */
export function optionsObject(options, where) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  return options;
}

/** encode(texts, options): undefined or null (defaults) or an object whose normalize, if given, is a boolean. */
export function encodeOptions(options) {
  if (options === undefined || options === null) return { normalize: false };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`encode(texts, options): options must be an object, got ${describeValue(options)}`);
  }
  const { normalize = false } = options;
  if (typeof normalize !== 'boolean') {
    throw new TypeError(`encode(texts, options): options.normalize must be a boolean, got ${describeValue(normalize)}`);
  }
  return { normalize };
}

/** Longest vector similarity() takes: bounds the work of one call (no seconds-long loop over {length: 1e8}). */
export const MAX_VECTOR_LENGTH = 1 << 16;

/**
 * similarity(a, b): `v` (argument `name`) is a Float32Array, a Float64Array or an array of numbers, at most
 * MAX_VECTOR_LENGTH long, every value finite. Array-likes, strings and other typed arrays are refused.
 */
export function checkVector(v, name) {
  const typed = v instanceof Float32Array || v instanceof Float64Array;
  if (!typed && !Array.isArray(v)) {
    throw new TypeError(`similarity(a, b): ${name} must be a Float32Array or an array of numbers, got ${describeValue(v)}`);
  }
  if (v.length > MAX_VECTOR_LENGTH) {
    throw new RangeError(`similarity(a, b): ${name} has ${v.length} values, more than the ${MAX_VECTOR_LENGTH} allowed`);
  }
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new TypeError(`similarity(a, b): ${name}[${i}] is ${typeof x === 'number' ? x : describeValue(x)}, not a finite number`);
    }
  }
}

/** similarity(a, b) of a model: two valid vectors (checkVector) of length `dim`. */
export function checkVectorPair(a, b, dim) {
  for (const [name, v] of [['a', a], ['b', b]]) {
    checkVector(v, name);
    if (v.length !== dim) throw new RangeError(`similarity(a, b): ${name} must have length ${dim}, got ${v.length}`);
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

// More threads than this only add contention (the native pool accepts up to 64).
const MAX_THREADS = 16;

/** Validates load()'s options before any I/O; returns them with defaults applied. */
export function loadOptions(options) {
  const given = optionsObject(options, 'load(source, options)');
  const { dtype = 'int8', onProgress, signal, cache = true, worker = false, relaxedSimd = true, revalidate = DEFAULT_REVALIDATE_S, threads } = given;
  if (typeof relaxedSimd !== 'boolean') throw new TypeError('load options.relaxedSimd: expected a boolean');
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new RangeError(`load options.threads: expected an integer from 1 to ${MAX_THREADS}, got ${String(threads)}`);
  }
  if (!DTYPES.includes(dtype)) throw new RangeError(`load options.dtype: expected 'int8' or 'fp32', got ${dtype}`);
  const maxSeqLength = checkMaxLength(given.maxSeqLength, 'load options.maxSeqLength', 512) ?? 0;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError('load options.onProgress: expected a function');
  }
  if (cache !== true && cache !== false && (cache === null || typeof cache.open !== 'function')) {
    throw new TypeError('load options.cache: expected a boolean or a CacheStorage (an object with open(name))');
  }
  if (typeof revalidate !== 'number' || Number.isNaN(revalidate) || revalidate < 0) {
    throw new RangeError(`load options.revalidate: expected seconds ≥ 0 (Infinity: never), got ${revalidate}`);
  }
  return { dtype, maxSeqLength, onProgress, signal, cache, worker: Boolean(worker), relaxedSimd, revalidate, threads };
}
