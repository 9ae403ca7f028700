#!/usr/bin/env bash
# Desktop app benchmark (issue #6): time from exec to the first mapped window, and resident
# memory once the home screen has rendered, under Xvfb with an empty temp wallet. Prints figures
# (median of the runs); passes or fails nothing. Goal: first window < 1 s, < 150 MB.
#
#   bash scripts/bench-app.sh        (called by scripts/bench.sh; CERTDESK_APP_BENCH_RUNS=N)
#
# It builds the app (scripts/build-app.sh, a no-op when current) unless CERTDESK_APP points at a
# binary. Every process it starts is stopped by PID.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
runs="${CERTDESK_APP_BENCH_RUNS:-5}"
say() { printf 'bench-app: %s\n' "$*" >&2; }

for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || { say "$tool is missing: run scripts/install-deps.sh"; exit 1; }
done
app="${CERTDESK_APP:-}"
if [[ -z "$app" ]]; then
  say "building the app (scripts/build-app.sh)"
  app="$(bash "$root/scripts/build-app.sh" 2>"$target_dir/bench-app-build.log")" ||
    { tail -n 30 "$target_dir/bench-app-build.log" >&2; exit 1; }
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/certdesk-bench-app.XXXXXX")"
xvfb_pid=""
app_pid=""
stop() {
  local pid=$1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  stop "$app_pid"
  stop "$xvfb_pid"
  rm -rf "$scratch"
}
trap cleanup EXIT

Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$scratch/display" 2>"$scratch/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do [[ -s "$scratch/display" ]] && break; sleep 0.1; done
DISPLAY=":$(tr -d '\n' <"$scratch/display")"
export DISPLAY

# All descendants of a PID (the app starts WebKitWebProcess and WebKitNetworkProcess).
tree() {
  local pid=$1 child
  echo "$pid"
  # The children files hold PIDs separated by spaces: word splitting is what is wanted.
  # shellcheck disable=SC2013
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do tree "$child"; done
}
kib() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/$3" 2>/dev/null || echo 0; }

window_ms=() app_rss=() tree_rss=() tree_pss=() names=""
for run in $(seq "$runs"); do
  mkdir -p "$scratch/run$run/home" "$scratch/run$run/wallet"
  start=$(date +%s%N)
  HOME="$scratch/run$run/home" CERTDESK_HOME="$scratch/run$run/wallet" "$app" >"$scratch/app.log" 2>&1 &
  app_pid=$!
  found=""
  for _ in $(seq 600); do
    if xdotool search --onlyvisible --pid "$app_pid" >/dev/null 2>&1; then found=1; break; fi
    sleep 0.005
  done
  [[ -n "$found" ]] || { say "no window after 3 s"; cat "$scratch/app.log" >&2; exit 1; }
  window_ms+=($((($(date +%s%N) - start) / 1000000)))
  # The home screen of an empty wallet is drawn well within this (the E2E reads it at once);
  # memory is read after it, when start-up allocations have settled.
  sleep 2
  app_rss+=($(($(kib "$app_pid" VmRSS status) / 1024)))
  rss=0 pss=0 names=""
  for pid in $(tree "$app_pid"); do
    rss=$((rss + $(kib "$pid" VmRSS status)))
    pss=$((pss + $(kib "$pid" Pss smaps_rollup)))
    names+="$(cat /proc/"$pid"/comm 2>/dev/null) "
  done
  tree_rss+=($((rss / 1024)))
  tree_pss+=($((pss / 1024)))
  stop "$app_pid"
  app_pid=""
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "certdesk app under Xvfb, empty wallet, debug build (scripts/build-app.sh), $runs runs, median (all runs)"
printf '| measure | median | runs | goal |\n|---|---|---|---|\n'
printf '| exec to first window | %s ms | %s | < 1000 ms |\n' "$(median "${window_ms[@]}")" "${window_ms[*]}"
printf '| RSS of the app process (home screen shown) | %s MB | %s | < 150 MB |\n' "$(median "${app_rss[@]}")" "${app_rss[*]}"
printf '| RSS of the app and its WebKit processes | %s MB | %s | — |\n' "$(median "${tree_rss[@]}")" "${tree_rss[*]}"
printf '| PSS of the app and its WebKit processes (shared pages split) | %s MB | %s | — |\n' "$(median "${tree_pss[@]}")" "${tree_pss[*]}"
echo "processes: $names"
