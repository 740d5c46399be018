// loadTokenizer(): the tokenizer alone (WordPiece or SentencePiece Unigram), running in its own WASM instance.
import { check, checkCount, hot, instantiateRuntime, guarded, writeUtf8 } from './runtime.js';
import {
  isBinaryTokenizerFile,
  noTokenizerError,
  SPM_MODEL_FILE,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_JSON_FILE,
  TOKENIZER_SOURCES,
  VOCAB_FILE,
} from './model_layout.js';
import { openSource } from './source.js';
import { checkMaxLength, checkText, live, optionsObject } from './validate.js';

// Longest truncation loadTokenizer() accepts (the runtime's bound, wasm/bindings.cpp max_length_of).
const MAX_TOKENIZER_LENGTH = 2 ** 30;

const BUILDERS = { [TOKENIZER_JSON_FILE]: 'fromJson', [VOCAB_FILE]: 'fromVocab', [SPM_MODEL_FILE]: 'fromSentencePiece' };

/**
 * Reads tokenizer.json or, when absent, vocab.txt, else spm.model (model_layout.js), with tokenizer_config.json
 * beside any. Returns the runtime's Tokenizer handle (caller owns it).
 */
export async function createTokenizerHandle(runtime, source, { signal } = {}) {
  const read = (name) => (isBinaryTokenizerFile(name) ? source.readBytes : source.readText).call(source, name, { optional: true, signal });
  for (const file of TOKENIZER_SOURCES) {
    const content = await read(file);
    if (content === null) continue;
    const config = (await read(TOKENIZER_CONFIG_FILE)) ?? '';
    return check(runtime.Tokenizer[BUILDERS[file]](content, config), source.describe());
  }
  throw noTokenizerError(await source.location(TOKENIZER_JSON_FILE));
}

/** Ids of `text` from a runtime Tokenizer handle (shared by Tokenizer and the worker client's tokenize()). */
export function encodeWithHandle(runtime, handle, text, maxLength, method = 'encode') {
  const bytes = writeUtf8(runtime, handle, text, method);
  const { self } = hot(handle);
  const count = checkCount(runtime._kf_tokenizer_encode(self, bytes, maxLength), handle, method);
  const at = runtime._kf_tokenizer_ids(self) >>> 2;
  return runtime.HEAP32.slice(at, at + count);
}

export class Tokenizer {
  #runtime;
  #handle;
  #maxLength;

  constructor(runtime, handle, maxLength) {
    this.#runtime = runtime;
    this.#handle = handle;
    this.#maxLength = maxLength ?? 0;
  }

  #live(method) {
    return live(this.#handle, method, 'tokenizer');
  }

  /** Number of entries in the vocabulary. */
  get vocabSize() {
    return this.#live('vocabSize').vocabSize();
  }

  /** The truncation length in effect (0 = none). */
  get maxLength() {
    return this.#maxLength;
  }

  /** fn(handle) on the live handle; a trap or uncaught exception inside the runtime disposes the tokenizer. */
  #call(method, fn) {
    return guarded(this, method, () => fn(this.#live(method)));
  }

  /** Token ids with [CLS] … [SEP], truncated to maxLength when one was given. */
  encode(text) {
    checkText(text, 'encode');
    return this.#call('encode', (handle) => encodeWithHandle(this.#runtime, handle, text, this.#maxLength));
  }

  /** The token strings of encode(text). */
  tokens(text) {
    checkText(text, 'tokens');
    return this.#call('tokens', (handle) => {
      const bytes = writeUtf8(this.#runtime, handle, text, 'tokens');
      return check(handle.tokensInput(bytes, this.#maxLength), 'tokens');
    });
  }

  /** Frees the WASM instance; later calls throw. */
  dispose() {
    this.#handle?.delete();
    this.#handle = null;
    this.#runtime = null;
  }
}

/**
 * @param {string | URL} source directory with tokenizer.json, vocab.txt or spm.model (+ tokenizer_config.json)
 * @param {{ maxLength?: number, signal?: AbortSignal }} [options]
 */
export async function loadTokenizer(source, options) {
  options = optionsObject(options, 'loadTokenizer(source, options)');
  const maxLength = checkMaxLength(options.maxLength, 'loadTokenizer options.maxLength', MAX_TOKENIZER_LENGTH);
  const files = await openSource(source);
  const runtime = await instantiateRuntime();
  const handle = await createTokenizerHandle(runtime, files, options);
  return new Tokenizer(runtime, handle, maxLength);
}
