// Type declarations for kfembed (the contract: docs/js-api.md).

/** A model or tokenizer location: an http(s) base URL of a model directory; in Node also a path or file: URL. */
export type Source = string | URL;

export interface LoadProgress {
  /** File name inside the model directory, e.g. "model.safetensors" or "1_Pooling/config.json"
   *  ('' for a warning that concerns no single file). */
  file: string;
  /** Bytes received so far. */
  loaded: number;
  /** Total bytes when known (manifest, Content-Length or file size), else 0. */
  total: number;
  /**
   * 'download' (network), 'cache' (read from the Cache API), 'read' (filesystem, Node): at least one event per
   * 1% of the file or per 250 ms while bytes arrive, and a final one with loaded === total.
   * 'retry': a dropped connection or a 5xx/network error; the download resumes after `delayMs`.
   * 'cache-warning': storage failed (e.g. QuotaExceededError) or a cached copy was corrupt; the load goes on.
   * 'warning': what Hugging Face only warns about (e.g. checkpoint layers beyond num_hidden_layers); the load
   * goes on.
   */
  phase: 'download' | 'cache' | 'read' | 'retry' | 'cache-warning' | 'warning';
  /** 'retry': attempt number, backoff delay and the reason. */
  attempt?: number;
  delayMs?: number;
  reason?: string;
  /** 'cache-warning', 'warning': what happened. */
  message?: string;
}

/** The parts of the Cache API's CacheStorage that load() uses (globalThis.caches in browsers). */
export interface CacheStorageLike {
  open(cacheName: string): Promise<{
    match(url: string): Promise<Response | undefined>;
    put(url: string, response: Response): Promise<void>;
    delete(url: string): Promise<boolean>;
  }>;
}

export interface LoadOptions {
  /** Weights used for inference: 'int8' (default) or 'fp32'. */
  dtype?: 'int8' | 'fp32';
  /** Truncation length in tokens ([CLS] and [SEP] included). Default: sentence_bert_config.json, else the
   *  tokenizer's model_max_length, at most 512. */
  maxSeqLength?: number;
  onProgress?: (progress: LoadProgress) => void;
  /** Aborts the load at any point; the promise rejects with signal.reason (an AbortError by default). */
  signal?: AbortSignal;
  /**
   * http(s) sources: keep SHA-256-verified downloads in the Cache API (cache "kfembed-v1", keyed by file URL)
   * and reuse them on the next load without any request for them (default true; a no-op where the Cache API
   * is missing, e.g. Node). false: never touch storage. A CacheStorage-like object may be passed instead
   * (not with `worker: true`).
   */
  cache?: boolean | CacheStorageLike;
  /**
   * Seconds between checks of a cached converted package's source (an int8 load of a float layout): past
   * them, an online load asks the source (HEAD, no body) whether the files it was made from changed (ETag,
   * X-Repo-Commit, Last-Modified, size) and converts it again if so; offline or on an error the cached one
   * runs. Default 86400 (a day); 0: every load; Infinity: never.
   */
  revalidate?: number;
  /** Browser: run the WASM in a dedicated module Worker; same API, encode() never blocks the page.
   *  Ignored where there is no Worker (Node). */
  worker?: boolean;
  /** int8: use the relaxed-SIMD kernels where the engine runs them exactly (default true); false forces
   *  the SIMD128 kernels. The vectors are the same bit for bit either way; see SentenceModel.backend. */
  relaxedSimd?: boolean;
  /** Threads of each encoder pass, the calling thread included (1–16). Default min(4, ceil(cores / 2)) where
   *  threads are possible — Node, or a cross-origin-isolated page — else 1 (asking for more there is no
   *  error: model.threads says 1). The vectors are the same bytes for any count. */
  threads?: number;
}
/** Which int8 kernels run: relaxed SIMD (a start-up probe found exact semantics) or SIMD128. */
export type Backend = 'wasm-relaxed-simd' | 'wasm-simd128';
export interface EncodeOptions {
  /** L2-normalise each vector. */
  normalize?: boolean;
}

export declare class SentenceModel {
  /** Length of the sentence vectors. */
  readonly dim: number;
  /** Inputs are truncated to this many tokens. */
  readonly maxSeqLength: number;
  /** The int8 kernels in use ('wasm-simd128' for fp32 models, Node 20, Safari, relaxedSimd: false). */
  readonly backend: Backend;
  /** The threads each encoder pass runs on. */
  readonly threads: number;
  /** Token ids with [CLS] … [SEP], truncated to maxSeqLength. */
  tokenize(text: string): Int32Array;
  /** options: an object, or null/undefined for the defaults. */
  encode(text: string, options?: EncodeOptions | null): Promise<Float32Array>;
  /** Several texts (a dense array of strings): consecutive short ones share encoder passes (faster), same
   *  vectors as one by one. Runtime calls take at most 64 texts / 16 MiB of UTF-8 each; a text needing more
   *  than 2^31 - 1 bytes of staging (3 per UTF-16 unit) is refused with a RangeError. */
  encode(texts: string[], options?: EncodeOptions | null): Promise<Float32Array[]>;
  /** Cosine similarity of two vectors of length `dim` (Float32Array, Float64Array or number[], finite values). */
  similarity(a: NumericVector, b: NumericVector): number;
  /** Size of this model's WASM memory in bytes (the peak so far: WASM memory never shrinks). */
  readonly wasmMemoryBytes: number;
  /** Frees the WASM memory; later calls throw. */
  dispose(): void;
}

export interface TokenizerOptions {
  /** Truncate to this many tokens ([CLS] and [SEP] included); default: no truncation. */
  maxLength?: number;
  signal?: AbortSignal;
}

export declare class Tokenizer {
  readonly vocabSize: number;
  readonly maxLength: number;
  /** Token ids with [CLS] … [SEP]. */
  encode(text: string): Int32Array;
  /** Token strings of encode(text): the vocabulary's entries (WordPiece "##" pieces, SentencePiece "▁" pieces). */
  tokens(text: string): string[];
  dispose(): void;
}

/**
 * Loads a model: a converted kfembed package (manifest.json lists every file with its size and SHA-256; exactly
 * those files are loaded and verified) or, without a manifest, a Hugging Face / sentence-transformers directory.
 * Downloads stream into WASM memory and resume dropped connections with HTTP Range requests.
 */
export declare const DEFAULT_SOURCE: string;
/** Loads a model; without a source, DEFAULT_SOURCE (the original hub repository, quantized while it streams). */
export declare function load(source?: Source | null, options?: LoadOptions | null): Promise<SentenceModel>;
/**
 * Loads the tokenizer of a model directory: tokenizer.json (WordPiece or SentencePiece Unigram), else vocab.txt
 * (BERT WordPiece), else spm.model (DeBERTa-v3 family), with tokenizer_config.json beside any.
 */
export declare function loadTokenizer(source: Source, options?: TokenizerOptions | null): Promise<Tokenizer>;
/** What similarity() takes: at most 65536 finite values. Array-likes, strings and other typed arrays throw. */
export type NumericVector = Float32Array | Float64Array | number[];
/** Cosine similarity of two equal-length vectors, in [-1, 1]; 0 when either is all zeros. */
export declare function similarity(a: NumericVector, b: NumericVector): number;

/** A vector: Float32Array (what encode() returns) or any array of numbers. */
export type Vector = Float32Array | ArrayLike<number>;
export type DocumentId = string | number;

export interface SemanticIndexOptions {
  /** Needed only to add or search texts (vectors work without one). */
  model?: SentenceModel | null;
  /** Store vectors as int8 with one scale each: 4× smaller, scores within 0.01 of float. Default false. */
  int8?: boolean;
  /** Threads of each search over many rows (same hits for any count): default the model's `threads`, else 1;
   *  1 where threads are unavailable (a page that is not cross-origin isolated). */
  threads?: number;
}

export interface SearchHit {
  id: DocumentId;
  /** Cosine similarity with the query. */
  score: number;
  /** The document's text; undefined for documents added as vectors. */
  text: string | undefined;
}

/** Client-side semantic search: normalised vectors searched by brute force in WebAssembly SIMD. */
export declare class SemanticIndex {
  constructor(options?: SemanticIndexOptions | null);
  /** Number of documents. */
  readonly size: number;
  /** Vector length (0 until a model or the first vector fixes it). */
  readonly dim: number;
  readonly int8: boolean;
  has(id: DocumentId): boolean;
  /** Adds texts (embedded with the model) or vectors. ids default to insertion numbers; a duplicate id
   *  rejects with an Error. Resolves to the ids of the added documents. */
  add(items: string[] | Vector[] | string | Vector, ids?: DocumentId[] | DocumentId): Promise<DocumentId[]>;
  /** The k (default 10) most similar documents, best first, scores in [-1, 1]. k: any integer ≥ 0 (a
   *  RangeError otherwise); a k above size returns every document. */
  search(query: string | Vector, k?: number): Promise<SearchHit[]>;
  /** Removes documents by id (unknown ids are ignored); returns how many were removed. */
  remove(ids: DocumentId[] | DocumentId): number;
  /** Versioned binary form (magic "KFEMBIDX", CRC-32 checked); see js/semantic_index.js. */
  toBytes(): Uint8Array;
  /** Reads toBytes() output; throws an Error naming the problem for corrupt or foreign bytes. */
  static fromBytes(bytes: Uint8Array | ArrayBuffer, options?: { model?: SentenceModel | null } | null): SemanticIndex;
  /** Browser: stores toBytes() in IndexedDB under `name` once pending adds finish. */
  save(name: string): Promise<void>;
  /** Browser: the index saved under `name`, or null when there is none. */
  static load(name: string, options?: { model?: SentenceModel | null } | null): Promise<SemanticIndex | null>;
  static deleteSaved(name: string): Promise<void>;
  /** Frees the index's WASM memory; later calls throw. */
  dispose(): void;
}
