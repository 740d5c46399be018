#!/usr/bin/env bash
# npm test: builds everything, then runs the native GoogleTest suites (ctest) and the Jest suites (through
# the WASM build). Both runners print their own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
status=0
ctest --test-dir build/native --output-on-failure -j"${JOBS:-$(nproc)}" || status=$?
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci || status=$?
exit $status
