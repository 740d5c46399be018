// kfembed: Korean sentence embeddings (kf-deberta-multitask) computed in WebAssembly. API: docs/js-api.md.
export { DEFAULT_SOURCE, load, SentenceModel } from './model.js';
export { loadTokenizer, Tokenizer } from './tokenizer.js';
export { similarity } from './similarity.js';
export { SemanticIndex } from './semantic_index.js';
