#!/usr/bin/env bash
# A longer fuzzing campaign (issue #12 §4): builds the targets of fuzz/ like
# scripts/fuzz-smoke.sh, then runs each for SECONDS (default 600), two at a time (FUZZ_JOBS), at
# the lowest CPU priority (it re-runs itself under `nice -n 19`), so it only takes idle CPU:
#
#   nohup nice -n 19 bash scripts/fuzz-campaign.sh 600 > /tmp/fuzz-campaign.log 2>&1 &
#
# Each target fuzzes a working corpus kept between campaigns in
# fuzz/target/campaign-corpus/<target> (ignored by git), started from the committed seeds; the
# committed corpus is not changed. Findings go to fuzz/artifacts/<target>/. The table (wall
# seconds, CPU seconds, executions, crash) is printed and appended to fuzz/CAMPAIGNS.md with
# the date and the git revision. FUZZ_NO_BUILD=1 fuzzes the binaries of the last build (when
# the working tree does not build at the moment).
#
# Usage: scripts/fuzz-campaign.sh [seconds-per-target]
set -euo pipefail
cd "$(dirname "$0")/.."
if (($(nice) < 19)); then
  exec nice -n 19 bash "$0" "$@"
fi
# shellcheck source=scripts/fuzz-common.sh
source scripts/fuzz-common.sh

secs=${1:-600}
fuzz_require_cargo_fuzz
if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
  fuzz_build
fi
mapfile -t targets < <(fuzz_targets)

corpus_root=$FUZZ_DIR/target/campaign-corpus
for t in "${targets[@]}"; do
  mkdir -p "$corpus_root/$t"
  cp -n "$FUZZ_DIR/corpus/$t"/* "$corpus_root/$t"/ 2>/dev/null || true
done
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

revision=$(git rev-parse --short HEAD)
if ! git diff --quiet HEAD -- crates fuzz 2>/dev/null; then
  revision="$revision (with uncommitted changes in crates/ or fuzz/)"
fi
started=$(date -u '+%Y-%m-%d %H:%M UTC')
run_start=$SECONDS
fuzz_run_all "$secs" "$corpus_root" "$results" "${targets[@]}"
run_secs=$((SECONDS - run_start))

campaigns=$FUZZ_DIR/CAMPAIGNS.md
if [[ ! -f $campaigns ]]; then
  printf '# Fuzzing campaigns\n\nAppended by scripts/fuzz-campaign.sh: per target the wall and CPU seconds, libFuzzer'"'"'s\nexecutions and whether it found a crash, timeout or out-of-memory.\n' >"$campaigns"
fi
status=0
table=$(fuzz_table "$results" 1 "${targets[@]}") || status=1
{
  printf '\n## %s, %s\n\n' "$started" "$revision"
  printf '%s s per target, %d at a time, %d targets, %d min in all (%s cores, nice %s).\n\n' \
    "$secs" "$FUZZ_JOBS" "${#targets[@]}" $((run_secs / 60)) "$(nproc)" "$(nice)"
  printf '%s\n' "$table"
} | tee -a "$campaigns"
if ((status != 0)); then
  echo "fuzz campaign: findings above; reproducers in $FUZZ_DIR/artifacts/" >&2
fi
exit "$status"
