#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test kfembed (run as root), then the npm
# dependencies. Idempotent: a machine that already has everything only pays for `apt-get update` + `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
  cmake g++ make pkg-config
  googletest libgtest-dev libbenchmark-dev   # native tests and benches
  emscripten                                 # 3.1.6 (LLVM 14): the WASM build
  clang-19 lld-19                            # kfembed_relaxed.wasm (relaxed SIMD, which LLVM 14 lacks)
  clang-14 libclang-rt-14-dev                # ASan + UBSan tests and libFuzzer targets (scripts/test_sanitized.sh)
  libsimde-dev                               # wasm_simd128 intrinsics for native builds
  nlohmann-json3-dev                         # JSON (header-only)
  unicode-data                               # UCD 15.0: Unicode tables are generated from it at build time
  libsentencepiece-dev sentencepiece         # second oracle for the Unigram tokenizer (native test only)
  python3 python3-numpy                      # ../shared/reference/make_model.py (base2 reference model)
  chromium                                   # headless browser tests (playwright-core drives /usr/bin/chromium)
  fonts-nanum                                # Korean glyphs for the demo screenshots (tests/e2e)
)
# Node.js 20 + npm come with the machine image; a machine without them gets Debian's.
command -v node >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# onnxruntime-node (pulled in by the transformers.js benchmark peer) downloads GPU binaries in its install
# script; nothing here needs install scripts.
npm ci --ignore-scripts --no-audit --no-fund
