// Build-time check of kfembed_relaxed.wasm (wasm/CMakeLists.txt):
//   node scripts/check_relaxed_wasm.mjs <module.wasm> <its .s>
// It must import only env.memory, export exactly the kernels js/runtime.js wires, carry no data segments
// (the memory belongs to the main module), never touch the shadow stack (no global.get/set in its code: it
// has no stack of its own), contain the relaxed dot, and validate (wabt with relaxed SIMD, when installed:
// clang 19's object writer has produced invalid encodings of that instruction; KFEMBED_WABT: another path
// to the wabt module).
import fs from 'node:fs';

const [wasmPath, asmPath] = process.argv.slice(2);
const bytes = fs.readFileSync(wasmPath);
const fail = (why) => {
  console.error(`${wasmPath}: ${why}`);
  process.exit(1);
};

const EXPORTS = ['gemm_s8s8', 'gemm_u8s8', 'probe'];
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
if (wabt) {
  const m = wabt.readWasm(bytes, { readDebugNames: false, simd: true, relaxed_simd: true });
  try {
    m.validate();
  } catch (e) {
    fail(`does not validate: ${e.message}`);
  }
  const wat = m.toText({});
  const imports = [...wat.matchAll(/\(import "([^"]+)" "([^"]+)"/g)].map((x) => `${x[1]}.${x[2]}`);
  const exports = [...wat.matchAll(/\(export "([^"]+)"/g)].map((x) => x[1]).sort();
  if (imports.join() !== 'env.memory') fail(`imports ${imports.join(', ')}, expected only env.memory`);
  if (exports.join() !== EXPORTS.join()) fail(`exports ${exports.join(', ')}, expected ${EXPORTS.join(', ')}`);
  m.destroy();
}
console.log(`${wasmPath}: ${bytes.length} bytes, checked`);
