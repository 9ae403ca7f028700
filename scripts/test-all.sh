#!/usr/bin/env bash
# certdesk's one test command (the README's and CI's): installs what is missing, then checks
# formatting, builds the front end, lints, type-checks and tests the front end, and runs every
# Rust test — including the ignored ones that need a real Secret Service, NSS, keytool and local
# servers — with nextest under a private D-Bus session and test keyring. Benchmarks, when
# scripts/bench.sh exists, run last and print figures; they do not pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() {
  printf '\n==> %s\n' "$*"
}

stage "install dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh

stage "cargo fmt --all -- --check"
cargo fmt --all -- --check

if [[ ! -f ui/package.json ]]; then
  echo "test-all: ui/package.json is missing; the front end cannot be built or tested" >&2
  exit 1
fi

stage "npm --prefix ui ci"
npm --prefix ui ci

# The Tauri crate embeds ui/dist at compile time, so the front end is built before clippy.
stage "npm --prefix ui run build"
npm --prefix ui run build

stage "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# The Windows Credential Manager vault (core), the CurrentUser\My store (certdesk-store) and
# the CLI's non-unix paths exist only behind cfg(windows): compile and lint them for Windows
# (they cannot run here; see the README).
stage "cargo clippy -p certdesk-core -p certdesk-store -p certdesk-cli --target x86_64-pc-windows-gnu -- -D warnings"
cargo clippy -p certdesk-core -p certdesk-store -p certdesk-cli --target x86_64-pc-windows-gnu -- -D warnings

stage "npm --prefix ui run check"
npm --prefix ui run check

stage "npm --prefix ui test"
npm --prefix ui test

stage "cargo nextest run --workspace --run-ignored all (private D-Bus session + test keyring)"
dbus-run-session -- scripts/with-keyring.sh \
  cargo nextest run --workspace --run-ignored all --no-fail-fast

stage "end-to-end: the built app under Xvfb through tauri-driver (scripts/e2e.sh)"
bash scripts/e2e.sh

if [[ -f scripts/bench.sh ]]; then
  stage "benchmarks (scripts/bench.sh; figures, not pass/fail)"
  bash scripts/bench.sh
fi
