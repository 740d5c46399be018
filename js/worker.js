// The dedicated module Worker behind load(source, { worker: true }): runs the in-thread loader and encoder
// here, so encode() never blocks the page. Protocol (worker_client.js): requests { id, op, ...args }, replies
// { id, result } | { id, error: { name, message } }, plus { id, progress } during load.
import { loadModel } from './model.js';
import { TOKENIZER_FILES } from './model_layout.js';

let model = null;
const loads = new Map(); // id → AbortController of a load in progress

function reply(id, result, transfer = []) {
  self.postMessage({ id, result }, transfer);
}

function replyError(id, e) {
  self.postMessage({ id, error: { name: e?.name ?? 'Error', message: String(e?.message ?? e) } });
}

async function handle({ id, op, ...args }) {
  switch (op) {
    case 'load': {
      const controller = new AbortController();
      loads.set(id, controller);
      try {
        const options = { ...args.options, worker: false, signal: controller.signal };
        if (args.progress) options.onProgress = (progress) => self.postMessage({ id, progress });
        const loaded = await loadModel(args.source, options, { keepTexts: TOKENIZER_FILES });
        model?.dispose();
        model = loaded.model;
        return reply(id, {
          dim: model.dim,
          maxSeqLength: model.maxSeqLength,
          backend: model.backend,
          threads: model.threads,
          wasmMemoryBytes: model.wasmMemoryBytes,
          texts: loaded.texts,
        });
      } finally {
        loads.delete(id);
      }
    }
    case 'abort':
      loads.get(args.target)?.abort(new DOMException(args.message || 'The operation was aborted', 'AbortError'));
      return reply(id, null);
    case 'encode': {
      if (!model) throw new Error('encode(): the model was disposed');
      const vectors = await model.encode(args.texts, args.options);
      const list = Array.isArray(vectors) ? vectors : [vectors];
      return reply(id, { vectors, wasmMemoryBytes: model.wasmMemoryBytes }, list.map((v) => v.buffer));
    }
    case 'dispose':
      model?.dispose();
      model = null;
      return reply(id, null);
    default:
      throw new Error(`kfembed worker: unknown request ${JSON.stringify(op)}`);
  }
}

self.addEventListener('message', (event) => {
  const message = event.data;
  handle(message).catch((e) => replyError(message.id, e));
});
