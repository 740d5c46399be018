#!/usr/bin/env bash
# Builds the relaxed micro-bench's two modules into build/relaxed_micro/ (run.mjs calls this).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=build/relaxed_micro
mkdir -p "$out"
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
# The shipping SIMD128 kernels, compiled as the runtime compiles them (Emscripten, -O3, SIMD128).
em++ -std=c++17 -O3 -msimd128 -Isrc -Wall -Wextra bench/kernels/relaxed_micro/simd_module.cpp \
  src/kernels/gemm_i8_f32_nr4kr8.cpp src/kernels/gemm_i8_f32_nr4kr8_strassen.cpp \
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createSimdModule -sENVIRONMENT=web -sFILESYSTEM=0 \
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=67108864 -sEXPORTED_RUNTIME_METHODS=[] -o "$out/simd_module.mjs"
# The relaxed candidates: clang-19 through assembly (its object writer mis-encodes the relaxed dot).
flags=(--target=wasm32 -O2 -std=c++17 -ffreestanding -fno-exceptions -fno-rtti -nostdlib -msimd128 -mrelaxed-simd
  -ffp-contract=off -Wall -Wextra -Werror -Isrc)
clang-19 "${flags[@]}" -S bench/kernels/relaxed_micro/relaxed_candidates.cpp -o "$out/relaxed_candidates.s"
clang-19 --target=wasm32 -msimd128 -mrelaxed-simd -c "$out/relaxed_candidates.s" -o "$out/relaxed_candidates.o"
wasm-ld-19 --no-entry --strip-all --gc-sections --initial-memory=67108864 \
  "$out/relaxed_candidates.o" -o "$out/relaxed_candidates.wasm"
node --input-type=module -e "
import fs from 'node:fs';
const wabt = await (await import('wabt')).default();
const m = wabt.readWasm(fs.readFileSync('$out/relaxed_candidates.wasm'), { simd: true, relaxed_simd: true });
m.validate(); console.log('relaxed_candidates.wasm validates (wabt)');" 2>/dev/null ||
  echo 'wabt not installed: Chromium validates relaxed_candidates.wasm when the page compiles it'
