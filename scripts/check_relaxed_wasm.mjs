// Build-time check of kfembed_relaxed.wasm (wasm/CMakeLists.txt):
//   node scripts/check_relaxed_wasm.mjs <module.wasm> <its .s>
// It must import only env.memory, export exactly the kernels js/runtime.js wires, carry no data segments
// (the memory belongs to the main module), never touch the shadow stack (no global.get/set in its code: it
// has no stack of its own), contain the relaxed dot, and validate (wabt with relaxed SIMD, when installed:
// clang 19's object writer has produced invalid encodings of that instruction; KFEMBED_WABT: another path
// to the wabt module). kfembed_relaxed_threads.wasm (for the threaded runtime) must import a shared memory,
// kfembed_relaxed.wasm an unshared one: an import that disagrees with the runtime's memory cannot link.
import fs from 'node:fs';

const [wasmPath, asmPath] = process.argv.slice(2);
const bytes = fs.readFileSync(wasmPath);
const fail = (why) => {
  console.error(`${wasmPath}: ${why}`);
  process.exit(1);
};

const EXPORTS = ['gemm_s8s8', 'gemm_u8s8', 'probe'];
const shared = /_threads\.wasm$/.test(wasmPath);
// Sections by id, without instantiating (Node 20 cannot compile the final relaxed opcodes).
const sections = new Map();
for (let at = 8; at < bytes.length;) {
  const id = bytes[at++];
  let size = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at++];
    size |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  sections.set(id, (sections.get(id) ?? 0) + size);
  at += size;
}
if (sections.has(11) || sections.has(12)) fail('has data segments');
const asm = fs.readFileSync(asmPath, 'utf8');
if (/^\s*global\.(get|set)\b/m.test(asm)) fail('uses a global (the shadow stack pointer)');
if (!/i32x4\.relaxed_dot_i8x16_i7x16_add_s/.test(asm)) fail('has no i32x4.relaxed_dot_i8x16_i7x16_add_s');
if (/relaxed_madd|relaxed_nmadd/.test(asm)) fail('contracts float operations into relaxed madd');

let wabt = null;
try {
  wabt = await (await import(process.env.KFEMBED_WABT ?? 'wabt')).default();
} catch {
  console.log(`${wasmPath}: wabt not installed, validation left to the browser tests`);
}
// wabt.js 1.0.39's validator rejects any shared memory whatever its threads option, so the shared variant is
// validated with the import's shared flag cleared (limits flags 0x03 → 0x01; nothing else in it is shared) and
// the flag itself is checked on the text below.
const ENV_MEMORY = Buffer.from([3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2]);
function unshared(b) {
  const at = b.indexOf(ENV_MEMORY);
  if (at < 0 || b[at + ENV_MEMORY.length] !== 3) fail('no shared env.memory import with a maximum');
  const copy = Buffer.from(b);
  copy[at + ENV_MEMORY.length] = 1;
  return copy;
}
if (wabt) {
  const features = { readDebugNames: false, simd: true, relaxed_simd: true };
  const m = wabt.readWasm(bytes, { ...features, threads: shared });
  try {
    const check = shared ? wabt.readWasm(unshared(bytes), features) : m;
    check.validate();
    if (check !== m) check.destroy();
  } catch (e) {
    fail(`does not validate: ${e.message}`);
  }
  const wat = m.toText({});
  const imports = [...wat.matchAll(/\(import "([^"]+)" "([^"]+)"/g)].map((x) => `${x[1]}.${x[2]}`);
  const exports = [...wat.matchAll(/\(export "([^"]+)"/g)].map((x) => x[1]).sort();
  if (imports.join() !== 'env.memory') fail(`imports ${imports.join(', ')}, expected only env.memory`);
  const memory = wat.match(/\(import "env" "memory" \(memory .*/)[0];
  if (/\bshared\b/.test(memory) !== shared) fail(`${memory}: expected ${shared ? 'a shared' : 'an unshared'} memory`);
  if (/\(start\b/.test(wat)) fail('has a start function');
  if (exports.join() !== EXPORTS.join()) fail(`exports ${exports.join(', ')}, expected ${EXPORTS.join(', ')}`);
  m.destroy();
}
console.log(`${wasmPath}: ${bytes.length} bytes, checked`);
