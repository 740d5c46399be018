#!/usr/bin/env bash
# npm run fuzz -- [--seconds N] [--merge] [target ...]: runs each libFuzzer target of tests/fuzz (all by
# default) for N seconds (default 60) with its seed corpus and dictionary, under ASan + UBSan. New inputs go to
# build/fuzz/corpus/<target>; --merge then adds those that reach new coverage to tests/fuzz/corpus/<target>.
# Logs: build/fuzz/<target>.log (the last lines give the executions: stat::number_of_executed_units).
# A crash leaves its input as build/fuzz/<target>-crash-* and makes this script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
merge=false
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --merge) merge=true; shift ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
bash scripts/build.sh sanitize >/dev/null
if [[ ${#targets[@]} -eq 0 ]]; then
  for src in tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$src" .cpp)
    targets+=("${name%_fuzz}")
  done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
mkdir -p build/fuzz
status=0
for target in "${targets[@]}"; do
  bin=build/sanitize/tests/fuzz/${target}_fuzz
  [[ -x $bin ]] || { echo "fuzz.sh: no target $target ($bin)" >&2; exit 2; }
  scratch=build/fuzz/corpus/$target
  mkdir -p "$scratch"
  args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="build/fuzz/$target-")
  [[ -f tests/fuzz/$target.dict ]] && args+=(-dict="tests/fuzz/$target.dict")
  if "$bin" "${args[@]}" "$scratch" "tests/fuzz/corpus/$target" >"build/fuzz/$target.log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "build/fuzz/$target.log" | grep -o '[0-9]*$' || echo '?')
    echo "$target: $execs executions in ${seconds}s, no finding"
  else
    status=1
    echo "$target: FINDING (build/fuzz/$target.log)"
    tail -n 30 "build/fuzz/$target.log"
  fi
  if $merge; then
    "$bin" -merge=1 "tests/fuzz/corpus/$target" "$scratch" >>"build/fuzz/$target.log" 2>&1
  fi
done
exit $status
