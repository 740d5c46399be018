#!/usr/bin/env bash
# npm run build: the native build (tests, benches, CLIs) and the WASM runtime of the npm package
# (js/wasm/kfembed.{mjs,wasm} and the threaded kfembed_threads.{mjs,wasm,worker.js}). `build.sh native` or
# `build.sh wasm` builds one of them; `build.sh sanitize` builds the ASan+UBSan native tests and the libFuzzer
# targets into build/sanitize (clang-14; not part of all).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
jobs=${JOBS:-$(nproc)}
# Debian's emscripten runs its JS optimizer with the system acorn.
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
if [[ $what == all || $what == native ]]; then
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/native -j"$jobs"
fi
if [[ $what == all || $what == wasm ]]; then
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/wasm --target kfembed_wasm -j"$jobs"
  # The threaded runtime (js/wasm/kfembed_threads.*): the same sources with -pthread.
  emcmake cmake -S . -B build/wasm-threads -DCMAKE_BUILD_TYPE=Release -DKF_WASM_THREADS=ON >/dev/null
  cmake --build build/wasm-threads --target kfembed_wasm -j"$jobs"
fi
if [[ $what == sanitize ]]; then
  CXX=${KF_SANITIZE_CXX:-clang++-14} cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Release -DKF_SANITIZE=ON >/dev/null
  cmake --build build/sanitize -j"$jobs"
fi
