#!/usr/bin/env bash
# Builds and starts the certdesk desktop app on Debian/Ubuntu.
#
# First run: installs the missing system packages (as root, or through sudo), runs `npm ci` in ui/,
# and builds a debug binary with the UI embedded (`tauri build --debug --no-bundle`, a few
# minutes). Later runs skip every step whose inputs did not change and just start the app.
# Extra arguments go to the app. Set CERTDESK_HOME to use a wallet other than the per-user one.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/debug/certdesk-app"
log="$target_dir/run-app-build.log"

say() { printf 'run-app: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Headers and tools for WebKitGTK/Tauri (tauri.app/start/prerequisites, minus the tray library,
# which certdesk does not use).
packages=(build-essential pkg-config file libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev
  librsvg2-dev libxdo-dev)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing system packages: ${missing[*]}"
  as_root=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install ${missing[*]} first"
    as_root=(sudo)
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null 2>&1 || die "Rust is missing: install it with rustup (https://rustup.rs), then run this again"
node_version="$(node -p 'process.versions.node')"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  die "Node.js $node_version is too old for the UI tooling (Vite 8 needs 20.19 or newer)"

# npm ci only when the lock file is newer than the last install.
if [[ ! "$root/ui/node_modules/.package-lock.json" -nt "$root/ui/package-lock.json" ]]; then
  say "installing UI dependencies (npm ci)"
  npm --prefix "$root/ui" ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# Rebuild only when a source the binary is made of is newer than the binary.
stale() {
  [[ -x "$bin" ]] || return 0
  [[ -n "$(find "$root/ui/src" "$root/ui/index.html" "$root/ui/public" "$root/ui/package-lock.json" \
    "$root/ui/vite.config.ts" "$root/ui/svelte.config.js" "$root/src-tauri" "$root/crates" \
    "$root/icons" "$root/Cargo.toml" "$root/Cargo.lock" \
    -path "$root/src-tauri/gen" -prune -o -newer "$bin" -print -quit)" ]]
}
if stale; then
  mkdir -p "$target_dir"
  say "building certdesk (the first build takes a few minutes; log: $log)"
  if ! (cd "$root" && TAURI_APP_PATH="$root/src-tauri" TAURI_FRONTEND_PATH="$root/ui" \
    "$root/ui/node_modules/.bin/tauri" build --debug --no-bundle --ci) >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "build failed; full log: $log"
  fi
  touch "$bin"
fi

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  die "no display: run it in a desktop session, or headless as: xvfb-run -a $0"
fi
exec "$bin" "$@"
