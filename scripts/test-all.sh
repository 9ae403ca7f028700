#!/usr/bin/env bash
# certdesk's one test command (the README's and CI's): installs what is missing, then checks
# formatting, builds the front end, lints, type-checks and tests the front end, and runs every
# Rust test — including the ignored ones that need a real Secret Service, NSS, keytool and local
# servers — with nextest under a private D-Bus session and test keyring, then the end-to-end
# test of the built app. Benchmarks run last and print figures; they do not pass or fail.
#
# Every stage is timed; a table of the stages and the total is printed at the end, also when a
# stage fails (that stage is marked FAILED and the run stops there).
#
# Clippy: the workspace's own crates are linted *while they are compiled for the tests*
# (RUSTC_WORKSPACE_WRAPPER=clippy-driver, as `cargo clippy` does it, with -D warnings), so the
# dependency tree is compiled once, not once for clippy's check and again for the tests. The
# wrapper is exported for the whole run, so the app build of the E2E stage and the benchmark
# build reuse the same artifacts and are linted too.
set -euo pipefail
cd "$(dirname "$0")/.."

stage_names=()
stage_secs=()
current_stage=""
current_start=0
run_start=$SECONDS

print_table() {
  local status=$1 i total
  total=$((SECONDS - run_start))
  printf '\n==> stage times (wall clock, %s cores)\n' "$(nproc)"
  local width=80
  row() { printf '| %-*s | %7s |\n' "$width" "$1" "$2"; }
  row "stage" "seconds"
  printf '|%s|%s|\n' "$(printf -- '-%.0s' $(seq $((width + 2))))" "---------"
  for i in "${!stage_names[@]}"; do
    row "${stage_names[$i]}" "${stage_secs[$i]}"
  done
  if [[ -n "$current_stage" ]]; then
    row "$current_stage (FAILED)" "$((SECONDS - current_start))"
  fi
  row "total ($(printf '%dm%02ds' $((total / 60)) $((total % 60))))" "$total"
  if ((status != 0)); then
    printf 'test-all: FAILED (exit %d) in stage: %s\n' "$status" "${current_stage:-?}"
  fi
}
trap 'print_table $?' EXIT

# stage NAME COMMAND [ARG…]: runs one timed stage; a failure ends the run (set -e).
stage() {
  current_stage=$1
  shift
  printf '\n==> %s\n' "$current_stage"
  current_start=$SECONDS
  "$@"
  stage_names+=("$current_stage")
  stage_secs+=("$((SECONDS - current_start))")
  current_stage=""
}

stage "install dependencies (scripts/install-deps.sh)" bash scripts/install-deps.sh

stage "cargo fmt --all -- --check" cargo fmt --all -- --check

if [[ ! -f ui/package.json ]]; then
  echo "test-all: ui/package.json is missing; the front end cannot be built or tested" >&2
  exit 1
fi

stage "npm ci (ui, tests/e2e)" bash -c 'npm --prefix ui ci --no-audit --no-fund &&
  npm --prefix tests/e2e ci --no-audit --no-fund --ignore-scripts'

# The Tauri crate embeds ui/dist at compile time, so the front end is built before the Rust code.
stage "npm --prefix ui run build" npm --prefix ui run build
stage "npm --prefix ui run check (svelte-check, eslint)" npm --prefix ui run check
stage "npm --prefix ui test (vitest)" npm --prefix ui test

# Clippy as the compiler of the workspace's crates for everything below (see the header).
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER
# cargo-clippy hands its arguments to clippy-driver this way (separator included).
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

# The app of the E2E stage and the benchmarks is built with the tauri/custom-protocol feature
# (assets embedded instead of a dev server, as `tauri build` does; scripts/build-app.sh).
# Building the tests with it too lets that build reuse every artifact of this one.
test_features=(--features tauri/custom-protocol)

stage "build + clippy -D warnings: workspace, all targets (nextest --no-run)" \
  cargo nextest run --workspace --all-targets "${test_features[@]}" --no-run

# The Windows Credential Manager vault (core), the CurrentUser\My store (certdesk-store) and
# the CLI's non-unix paths exist only behind cfg(windows): certdesk.exe is built for Windows with
# clippy as the compiler of our crates (as above), which lints them as `cargo clippy` did, and
# the same compile yields the exe the Wine suite runs. Profile lint-windows: our crates and
# aws-lc's C code unoptimised, only the hash crates at opt-level 2 (issue #11, #17).
stage "build + clippy -D warnings: certdesk.exe for x86_64-pc-windows-gnu" \
  cargo build -p certdesk-cli --target x86_64-pc-windows-gnu --profile lint-windows

stage "Windows CLI under Wine, private WINEPREFIX (scripts/wine-suite.sh)" \
  bash scripts/wine-suite.sh target/x86_64-pc-windows-gnu/lint-windows/certdesk.exe

stage "nextest run --workspace --run-ignored all (private D-Bus + test keyring)" \
  dbus-run-session -- scripts/with-keyring.sh \
  cargo nextest run --workspace --all-targets "${test_features[@]}" --run-ignored all --no-fail-fast

stage "fuzz smoke: each target 15 s on the committed corpus (scripts/fuzz-smoke.sh)" bash scripts/fuzz-smoke.sh

stage "end-to-end: the built app under Xvfb through tauri-driver (scripts/e2e.sh)" bash scripts/e2e.sh

# The debug app the E2E stage built, packaged as a .deb (no second compile), installed with
# apt-get, opened under Xvfb and purged (issue #17).
stage ".deb: bundle, validate, install, first window, purge (scripts/deb-suite.sh)" bash scripts/deb-suite.sh

stage "benchmarks (scripts/bench.sh; figures, not pass/fail)" bash scripts/bench.sh
