#!/usr/bin/env bash
# certdesk benchmark: key generation per key type and PKCS#12 export/import, timed beside
# `openssl genpkey` / `openssl pkcs12` in the same run (tests/src/bin/certdesk-bench.rs).
#
# It prints figures (and writes <target>/bench/bench.json); it never fails on them. The exit
# status is non-zero only when the benchmark could not be built or crashed.
#
#   bash scripts/bench.sh             dev profile, as the test suite builds it (nothing rebuilt)
#   bash scripts/bench.sh --release   optimised build (compiles the whole dependency tree once)
#
# Run counts: 31 EC, 15 RSA-2048/3072, 7 RSA-4096, 5 per PKCS#12 operation, cut short (to no
# fewer than 3) when a section's time budget is spent, so the whole run stays around two
# minutes even on 2 busy cores. CERTDESK_BENCH_RUNS=N sets every count exactly instead.
set -euo pipefail
cd "$(dirname "$0")/.."

# `--workspace` resolves features as `cargo nextest run --workspace` does, so the dependencies
# the test suite compiled are reused; only the benchmark binary itself is built here.
# --all-targets resolves features as the test run does (dev-dependencies included), so the
# binaries nextest already built are reused instead of rebuilding the dependency tree.
# The same features as the test build (scripts/test-all.sh): the E2E app build adds
# tauri/custom-protocol, and any other feature set would compile the tauri crates again.
build_args=(build --workspace --all-targets --features tauri/custom-protocol --message-format=json-render-diagnostics)
for arg in "$@"; do
  case "$arg" in
    --release) build_args+=(--release) ;;
    *)
      echo "bench.sh: unknown argument '$arg' (only --release is accepted)" >&2
      exit 2
      ;;
  esac
done

echo "bench.sh: cargo ${build_args[*]}" >&2
build_start=$SECONDS
build_json=$(cargo "${build_args[@]}")
bin=$(printf '%s\n' "$build_json" |
  sed -n 's/.*"executable":"\([^"]*\/certdesk-bench\)".*/\1/p' | tail -n 1)
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "bench.sh: cargo did not report the certdesk-bench executable" >&2
  exit 1
fi
echo "bench.sh: built in $((SECONDS - build_start)) s: $bin" >&2

probe_bin=$(printf '%s\n' "$build_json" |
  sed -n 's/.*"executable":"\([^"]*\/certdesk-probe-bench\)".*/\1/p' | tail -n 1)
scep_bin=$(printf '%s\n' "$build_json" |
  sed -n 's/.*"executable":"\([^"]*\/certdesk-scep-bench\)".*/\1/p' | tail -n 1)
certdesk_bin=$(printf '%s\n' "$build_json" |
  sed -n 's/.*"executable":"\([^"]*\/certdesk\)".*/\1/p' | tail -n 1)

run_start=$SECONDS
"$bin"
echo
CERTDESK_BIN="$certdesk_bin" "$probe_bin"
echo
# SCEP: certdesk enroll scep beside scepclient against the same local scepserver.
CERTDESK_BIN="$certdesk_bin" "$scep_bin" || echo "bench.sh: the SCEP benchmark could not run"
echo
# The desktop app: first window and memory under Xvfb (figures only, never fails the run).
bash "$(dirname "$0")/bench-app.sh" || echo "bench.sh: the app benchmark could not run"
echo "bench.sh: benchmark ran for $((SECONDS - run_start)) s (figures only; nothing passes or fails)"
