#!/usr/bin/env bash
# The native tests under AddressSanitizer + UndefinedBehaviorSanitizer (clang-14, -O1; CMakeLists.txt
# KF_SANITIZE), plus one replay of every fuzz corpus (tests/fuzz). Any sanitizer report aborts its test
# process (abort_on_error: a signal fails a test even when it is WILL_FAIL), so ctest fails. Run by .ci/run.
#
# Left out here, still run by `npm test` in the normal build (KF_SANITIZE_SKIP, a ctest -E regex): the
# suites on the base2 reference model (120 MB, kf-deberta's 768/12/3072 geometry; 4.5 of the 5 minutes of
# native test time at -O2, many times that under ASan). Their code paths are the same as the tiny-model tests'
# (EmbedBatch.Tiny*, Int8Package.ConvertRoundTrip*, SentenceEncoder.Tiny*), only at a larger size.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh sanitize
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
skip=${KF_SANITIZE_SKIP:-Base2|^Int8Fidelity\.}
ctest --test-dir build/sanitize --output-on-failure -j"${JOBS:-$(nproc)}" -E "$skip"
