// An int8 load of a Hugging Face float checkpoint, quantized while it streams (src/model/streaming_quantizer.h):
// the float weights never sit whole in memory, so the first load from the original repository peaks at about
// the package's size (bench/encoder/README.md).
//
//   1. each weight file's header (one Range request, a second when the header is longer than the first),
//   2. the steering ranges the quantizer asks for (the small LayerNorms that decide the package's layout;
//      a few Range requests, several at a time),
//   3. every file streamed in order: each chunk is copied into the quantizer's buffer in WASM memory and
//      quantized there, row by row, into the package (downloads resume dropped connections by Range from the
//      last byte consumed, fetch_resume.js; a restart from byte 0 skips what was already consumed),
//   4. the package moves into the ModelFiles as model.int8.safetensors, where Encoder.load finds it.
// A server that ignores Range requests throws RangeNotSupportedError before anything streamed; the caller
// then loads the float files whole as before.
import { check } from './runtime.js';
import { throwIfAborted } from './progress.js';

const HEADER_GUESS = 256 * 1024; // bytes asked for first: a 12-layer header is ~25 KB
const PARALLEL_RANGES = 4;

/** Runs `work(item)` over `items`, at most `limit` at a time, in order of start. */
async function eachLimited(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Copies `bytes` into the quantizer's buffer (re-reading the heap view: the buffer may grow memory). */
function stage(runtime, quantizer, bytes) {
  const at = check(quantizer.buffer(bytes.length), 'streaming quantizer');
  runtime.HEAPU8.set(bytes, at);
}

/** Sink (fetch_resume.js protocol) pushing one file's chunks into the quantizer. */
class QuantizerSink {
  constructor(runtime, quantizer, index, name, size) {
    this.runtime = runtime;
    this.quantizer = quantizer;
    this.index = index;
    this.name = name;
    this.size = size;
  }
  begin(total) {
    if (total !== null && total !== undefined && total !== this.size) {
      throw new Error(`${this.name}: ${total} bytes, but its header was read from a file of ${this.size} (changed while loading?)`);
    }
  }
  write(offset, bytes) {
    // Bytes already consumed (a download that restarted from byte 0) are skipped by the quantizer; copy only
    // the new ones.
    const consumed = this.quantizer.consumed(this.index);
    if (offset + bytes.length <= consumed) return;
    const from = Math.max(0, consumed - offset);
    const part = from ? bytes.subarray(from) : bytes;
    stage(this.runtime, this.quantizer, part);
    check(this.quantizer.push(this.index, offset + from, part.length), this.name);
  }
  end(length) {
    if (length !== this.size) throw new Error(`${this.name}: ${length} bytes, expected ${this.size}`);
  }
}

/**
 * Quantizes the weight files `names` of `source` into `fileSet` (model.int8.safetensors). Resolves false,
 * having read nothing else, when `optional` and the first file does not exist.
 * @param {{ runtime: object, fileSet: object, source: object, names: string[], configText: string,
 *           optional?: boolean, onProgress?: Function, signal?: AbortSignal, provenance?: Map }} options
 *   provenance: receives name → validators (fetch_resume.js validatorsOf) of each file streamed
 */
export async function streamQuantize({ runtime, fileSet, source, names, configText, optional = false, onProgress, signal, provenance }) {
  const quantizer = check(runtime.StreamingQuantizer.create(configText, names), 'config.json');
  try {
    const sizes = [];
    for (const [i, name] of names.entries()) {
      const where = await source.location(name);
      const first = await source.readRange(name, 0, HEADER_GUESS, { signal, optional: optional && i === 0 });
      if (!first) return false;
      let { bytes } = first;
      const { size } = first;
      if (bytes.length < 8) throw new Error(`${where}: ${size} bytes, too short for a safetensors header`);
      stage(runtime, quantizer, bytes.subarray(0, 8));
      const headerSize = check(quantizer.headerSize(i, size), where);
      if (headerSize > bytes.length) {
        const rest = await source.readRange(name, bytes.length, headerSize, { signal });
        const all = new Uint8Array(headerSize);
        all.set(bytes);
        all.set(rest.bytes, bytes.length);
        bytes = all;
      }
      stage(runtime, quantizer, bytes.subarray(0, headerSize));
      check(quantizer.addHeader(i, headerSize, size), where);
      sizes.push(size);
    }
    throwIfAborted(signal);
    const ranges = check(quantizer.steeringRanges(), source.describe());
    await eachLimited(ranges, PARALLEL_RANGES, async ([file, begin, end]) => {
      const { bytes } = await source.readRange(names[file], begin, end, { signal });
      throwIfAborted(signal);
      stage(runtime, quantizer, bytes);
      check(quantizer.provide(file, begin, bytes.length), names[file]);
    });
    check(quantizer.plan(), source.describe());
    for (const [i, name] of names.entries()) {
      throwIfAborted(signal);
      const sink = new QuantizerSink(runtime, quantizer, i, await source.location(name), sizes[i]);
      const validators = {};
      await source.fetchInto(name, sink, { expectedSize: sizes[i], onProgress, signal, validators });
      provenance?.set(name, { ...validators, size: sizes[i] });
    }
    throwIfAborted(signal);
    check(quantizer.finishInto(fileSet), source.describe());
    // What Hugging Face only warns about (checkpoint layers beyond num_hidden_layers): the package the encoder
    // then loads no longer shows it.
    for (const message of check(quantizer.warnings(), source.describe())) {
      onProgress?.({ file: 'config.json', loaded: 0, total: 0, phase: 'warning', message });
    }
    return true;
  } finally {
    quantizer.delete();
  }
}
