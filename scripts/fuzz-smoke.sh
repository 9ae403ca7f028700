#!/usr/bin/env bash
# Fuzz smoke test (issue #12 §4), a stage of scripts/test-all.sh: builds every fuzz target of
# fuzz/ once (`cargo fuzz build`: release with debug assertions and overflow checks,
# AddressSanitizer), then runs each for a short fixed time, two at a time (FUZZ_JOBS), on a
# COPY of its committed corpus (fuzz/corpus/<target>), so smoke runs never grow the committed
# corpus. Fails when any target crashes, times out (-timeout=10 per input) or runs out of
# memory (-rss_limit_mb=2048), printing the reproducer (kept in fuzz/artifacts/<target>/).
#
# Usage: scripts/fuzz-smoke.sh [seconds-per-target]   (default 15)
# Prints per target: wall seconds, executions (libFuzzer's stat::number_of_executed_units)
# and whether it crashed. Longer runs: scripts/fuzz-campaign.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/fuzz-common.sh
source scripts/fuzz-common.sh

secs=${1:-15}
fuzz_require_cargo_fuzz
start=$SECONDS
fuzz_build
build_secs=$((SECONDS - start))
mapfile -t targets < <(fuzz_targets)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$FUZZ_DIR/corpus" "$work/corpus"
mkdir -p "$work/results"

run_start=$SECONDS
fuzz_run_all "$secs" "$work/corpus" "$work/results" "${targets[@]}"
run_secs=$((SECONDS - run_start))

printf '\n==> fuzz smoke: %d targets, %s s each, %d at a time (build %d s, fuzzing %d s)\n' \
  "${#targets[@]}" "$secs" "$FUZZ_JOBS" "$build_secs" "$run_secs"
if fuzz_table "$work/results" 0 "${targets[@]}"; then
  echo "fuzz smoke: no crash, timeout or out-of-memory in ${#targets[@]} targets"
else
  echo "fuzz smoke: FAILED (see the reproducers above)" >&2
  exit 1
fi
