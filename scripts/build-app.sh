#!/usr/bin/env bash
# Builds the desktop app binary the E2E test and the app benchmark run (target/debug/certdesk-app),
# as `tauri build --debug --no-bundle` does — the UI built first (`npm run build`, tauri.conf.json's
# beforeBuildCommand) and embedded, the tauri/custom-protocol feature on — but through cargo with
# the test command's package selection:
#
#   cargo build --workspace --all-targets --features tauri/custom-protocol
#
# `tauri build` runs `cargo build --bins --features tauri/custom-protocol` inside src-tauri/, so
# cargo resolves the features of the app's dependencies alone (no CLI, no dev-dependencies) and
# recompiled tokio, reqwest, certdesk-core and the tauri crates a second time: 227 s of the
# E2E stage in the last clean run before this script (issue #11). With the workspace selection
# every artifact of the test build is reused and only the binary is linked.
#
# Prints the path of the binary on stdout. Used by scripts/e2e.sh and scripts/bench-app.sh;
# scripts/run-app.sh keeps `tauri build`, which is what a user runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

if [[ ! "$root/ui/node_modules/.package-lock.json" -nt "$root/ui/package-lock.json" ]]; then
  npm --prefix "$root/ui" ci --no-audit --no-fund >&2
fi
npm --prefix "$root/ui" run build >&2
(cd "$root" && cargo build --workspace --all-targets --features tauri/custom-protocol >&2)
app="$target_dir/debug/certdesk-app"
[[ -x "$app" ]] || { echo "build-app: cargo did not produce $app" >&2; exit 1; }
echo "$app"
