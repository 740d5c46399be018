// Type declarations for kfembed (see DESIGN.md for the full contract).

/** A model or tokenizer location: an http(s) base URL of a model directory; in Node also a path or file: URL. */
export type Source = string | URL;

export interface LoadProgress {
  /** File name inside the model directory, e.g. "model.safetensors". */
  file: string;
  /** Bytes received so far. */
  loaded: number;
  /** Total bytes when known (Content-Length or file size), else 0. */
  total: number;
  phase: 'read' | 'download' | string;
}

export interface LoadOptions {
  /** Weights used for inference: 'int8' (default) or 'fp32'. */
  dtype?: 'int8' | 'fp32';
  /** Truncation length in tokens ([CLS] and [SEP] included). Default: sentence_bert_config.json, else the
   *  tokenizer's model_max_length, at most 512. */
  maxSeqLength?: number;
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

export interface EncodeOptions {
  /** L2-normalise each vector. */
  normalize?: boolean;
}

export declare class SentenceModel {
  /** Length of the sentence vectors. */
  readonly dim: number;
  /** Inputs are truncated to this many tokens. */
  readonly maxSeqLength: number;
  /** Token ids with [CLS] … [SEP], truncated to maxSeqLength. */
  tokenize(text: string): Int32Array;
  encode(text: string, options?: EncodeOptions): Promise<Float32Array>;
  encode(texts: string[], options?: EncodeOptions): Promise<Float32Array[]>;
  /** Cosine similarity of two vectors of length `dim`. */
  similarity(a: ArrayLike<number>, b: ArrayLike<number>): number;
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
  /** Token strings of encode(text). */
  tokens(text: string): string[];
  dispose(): void;
}

export declare function load(source: Source, options?: LoadOptions): Promise<SentenceModel>;
export declare function loadTokenizer(source: Source, options?: TokenizerOptions): Promise<Tokenizer>;
/** Cosine similarity of two equal-length vectors. */
export declare function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number;
