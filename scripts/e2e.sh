#!/usr/bin/env bash
# End-to-end test of the desktop app: builds it as `tauri build --debug --no-bundle` does
# (scripts/build-app.sh: UI embedded, tauri/custom-protocol), then drives it under Xvfb through
# tauri-driver + WebKitWebDriver with WebdriverIO (tests/e2e/app.test.mjs), in a temp HOME holding an empty Chromium NSS db and with a private
# D-Bus session and test keyring (scripts/with-keyring.sh). Screenshots of each wizard step land
# in docs/screenshots/. Every process started here is stopped by PID.
#
# Called by scripts/test-all.sh after the Rust tests; runnable alone: bash scripts/e2e.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
say() { printf 'e2e: %s\n' "$*" >&2; }

# tauri-driver proxies WebDriver to WebKitWebDriver (apt webkit2gtk-driver, in install-deps.sh).
tauri_driver="$(command -v tauri-driver || true)"
if [[ -z "$tauri_driver" ]]; then
  say "installing tauri-driver (cargo install tauri-driver --locked --version ^2)"
  cargo install tauri-driver --locked --version '^2' >&2
  tauri_driver="$(command -v tauri-driver || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver")"
fi
for tool in WebKitWebDriver Xvfb certutil dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { say "$tool is missing: run scripts/install-deps.sh"; exit 1; }
done

if [[ ! "$root/ui/node_modules/.package-lock.json" -nt "$root/ui/package-lock.json" ]]; then
  npm --prefix ui ci --no-audit --no-fund >&2
fi
if [[ ! "$root/tests/e2e/node_modules/.package-lock.json" -nt "$root/tests/e2e/package-lock.json" ]]; then
  # No install scripts: WebdriverIO needs none, and some of its optional drivers would download.
  npm --prefix tests/e2e ci --no-audit --no-fund --ignore-scripts >&2
fi

say "building the app (scripts/build-app.sh: the UI embedded, tauri/custom-protocol)"
app="$(bash "$root/scripts/build-app.sh")"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/certdesk-e2e.XXXXXX")"
xvfb_pid=""
# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  if [[ -n "$xvfb_pid" ]] && kill -0 "$xvfb_pid" 2>/dev/null; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A temp HOME with the Chromium NSS db that certdesk-store detects, and a temp wallet.
mkdir -p "$scratch/home/.pki/nssdb" "$scratch/wallet"
chmod 700 "$scratch/home" "$scratch/wallet"
certutil -N -d "sql:$scratch/home/.pki/nssdb" --empty-password

# Xvfb picks a free display and writes its number to fd 3.
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$scratch/display" 2>"$scratch/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do
  [[ -s "$scratch/display" ]] && break
  kill -0 "$xvfb_pid" 2>/dev/null || { cat "$scratch/xvfb.log" >&2; exit 1; }
  sleep 0.1
done
display=":$(tr -d '\n' <"$scratch/display")"
say "Xvfb on $display (pid $xvfb_pid)"

mkdir -p docs/screenshots
status=0
env HOME="$scratch/home" CERTDESK_HOME="$scratch/wallet" DISPLAY="$display" \
  XDG_DATA_HOME="$scratch/home/.local/share" XDG_CONFIG_HOME="$scratch/home/.config" \
  XDG_CACHE_HOME="$scratch/home/.cache" LANG=en_US.UTF-8 LC_ALL=C.UTF-8 \
  CERTDESK_APP="$app" TAURI_DRIVER="$tauri_driver" SCREENSHOTS="$root/docs/screenshots" \
  E2E_ARTIFACTS="$target_dir/e2e" \
  dbus-run-session -- "$root/scripts/with-keyring.sh" \
  npm --prefix "$root/tests/e2e" test || status=$?
# The same app for a German user (issue #13): the locale WebKitGTK hands the page as
# navigator.language and the Rust side reads for its sentences.
if ((status == 0)); then
  env HOME="$scratch/home" CERTDESK_HOME="$scratch/wallet" DISPLAY="$display" \
    XDG_DATA_HOME="$scratch/home/.local/share" XDG_CONFIG_HOME="$scratch/home/.config" \
    XDG_CACHE_HOME="$scratch/home/.cache" LANG=de_DE.UTF-8 LANGUAGE=de E2E_LANG=de \
    CERTDESK_APP="$app" TAURI_DRIVER="$tauri_driver" SCREENSHOTS="$root/docs/screenshots" \
    E2E_ARTIFACTS="$target_dir/e2e" \
    dbus-run-session -- "$root/scripts/with-keyring.sh" \
    npm --prefix "$root/tests/e2e" test || status=$?
fi
exit "$status"
