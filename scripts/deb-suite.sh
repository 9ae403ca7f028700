#!/usr/bin/env bash
# The Debian package of the desktop app, built, installed, opened and removed (issue #17).
#
#   1. `tauri bundle --debug --bundles deb` packages the debug binary scripts/build-app.sh
#      already built (no second compile; `tauri build` would recompile the app's dependency tree
#      with other features, see build-app.sh);
#   2. the package's desktop entry passes `desktop-file-validate`, its AppStream metadata
#      `appstreamcli validate`, and it carries the icons the freedesktop icon theme spec names;
#   3. `apt-get install ./certdesk_*.deb`: the .certdesk MIME type and the certdesk: URL scheme
#      are registered (the shared-mime-info and desktop-file-utils triggers ran), xdg-mime
#      resolves both to certdesk.desktop;
#   4. the installed /usr/bin/certdesk-app opens its first window under Xvfb;
#   5. `apt-get purge certdesk` leaves none of its files and no registration behind.
#
# Installs system-wide: needs root (or sudo). Usage: scripts/deb-suite.sh (after build-app.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"

as_root=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "deb-suite: FAILED: needs root or sudo to install the package" >&2; exit 1; }
  as_root=(sudo)
fi
for tool in desktop-file-validate appstreamcli xdg-mime gio file xdotool Xvfb dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || {
    echo "deb-suite: FAILED: $tool is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
  }
done

checks=0
ok() {
  checks=$((checks + 1))
  printf 'ok %d - %s\n' "$checks" "$1"
}
fail() {
  printf 'not ok - %s\n' "$1" >&2
  exit 1
}

scratch=$(mktemp -d /tmp/certdesk-deb.XXXXXX)
xvfb_pid=""
app_pid=""
installed=0
cleanup() {
  local status=$?
  [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  [[ -n "$xvfb_pid" ]] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  if ((installed)); then
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq certdesk >/dev/null 2>&1 || true
  fi
  if ((status == 0)); then rm -rf "$scratch"; else echo "deb-suite: FAILED; files kept in $scratch" >&2; fi
}
trap cleanup EXIT

app="$target_dir/debug/certdesk-app"
[[ -x "$app" ]] || fail "$app exists (scripts/build-app.sh builds it)"
t0=$SECONDS
rm -rf "$target_dir/debug/bundle/deb"
"$root/ui/node_modules/.bin/tauri" bundle --debug --bundles deb --ci >"$scratch/bundle.log" 2>&1 || {
  cat "$scratch/bundle.log" >&2
  fail "tauri bundle --debug --bundles deb"
}
debs=("$target_dir"/debug/bundle/deb/certdesk_*.deb)
deb=${debs[0]}
[[ -f "$deb" ]] || fail "the bundler wrote certdesk_*.deb"
ok "tauri bundle --debug --bundles deb: $(basename "$deb"), $(du -h "$deb" | cut -f1), $((SECONDS - t0)) s"

# --- what is in the package, before installing it -------------------------------------------
dpkg-deb -x "$deb" "$scratch/pkg"
desktop=$scratch/pkg/usr/share/applications/certdesk.desktop
metainfo=$scratch/pkg/usr/share/metainfo/org.certdesk.app.metainfo.xml
desktop-file-validate "$desktop" || fail "desktop-file-validate certdesk.desktop"
grep -qx 'MimeType=application/x-certdesk-profile;x-scheme-handler/certdesk;' "$desktop" ||
  fail "the desktop entry claims the profile type and the certdesk: scheme"
grep -qx 'Exec=certdesk-app %u' "$desktop" || fail "the desktop entry passes the file or link (%u)"
ok "desktop-file-validate certdesk.desktop, MimeType and Exec %u"
appstreamcli validate --no-net "$metainfo" >"$scratch/appstream.log" 2>&1 || {
  cat "$scratch/appstream.log" >&2
  fail "appstreamcli validate org.certdesk.app.metainfo.xml"
}
grep -q '<launchable type="desktop-id">certdesk.desktop</launchable>' "$metainfo" ||
  fail "the AppStream launchable names the installed desktop entry"
ok "appstreamcli validate org.certdesk.app.metainfo.xml"
# Icon theme spec: apps icons in hicolor NxN/apps (48 px is the one it requires of every app
# theme-wise; GNOME and KDE scale the scalable SVG), no "@2" directory for a plain size.
for size in 32x32 64x64 128x128 256x256 512x512; do
  f=$scratch/pkg/usr/share/icons/hicolor/$size/apps/certdesk-app.png
  [[ -f "$f" ]] || fail "icon $size"
  [[ $(file -b "$f") == *"${size/x/ x }"* ]] || fail "icon $size is $(file -b "$f")"
done
[[ -f $scratch/pkg/usr/share/icons/hicolor/scalable/apps/certdesk-app.svg ]] || fail "scalable icon"
! compgen -G "$scratch/pkg/usr/share/icons/hicolor/*@*" >/dev/null || fail "no scaled (@2) icon directories"
ok "icons 32, 64, 128, 256, 512 px (sizes checked) and scalable SVG in hicolor"

# --- install ---------------------------------------------------------------------------------
if dpkg-query -W -f='${db:Status-Status}' certdesk 2>/dev/null | grep -qx installed; then
  fail "a certdesk package is already installed on this machine; remove it first (apt-get purge certdesk)"
fi
t1=$SECONDS
installed=1
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" \
  >"$scratch/install.log" 2>&1 || { cat "$scratch/install.log" >&2; fail "apt-get install ./$(basename "$deb")"; }
dpkg-query -W -f='${db:Status-Status}' certdesk | grep -qx installed || fail "dpkg lists certdesk as installed"
ok "apt-get install ./$(basename "$deb") ($((SECONDS - t1)) s)"

[[ -x /usr/bin/certdesk-app ]] || fail "/usr/bin/certdesk-app installed"
[[ -f /usr/share/mime/application/x-certdesk-profile.xml ]] ||
  fail "update-mime-database ran (shared-mime-info trigger): application/x-certdesk-profile known"
grep -q '^application/x-certdesk-profile:\*\.certdesk$' /usr/share/mime/globs ||
  fail "*.certdesk maps to application/x-certdesk-profile in the MIME database"
for type in application/x-certdesk-profile x-scheme-handler/certdesk; do
  grep -q "^$type=.*certdesk.desktop" /usr/share/applications/mimeinfo.cache ||
    fail "update-desktop-database ran: $type in mimeinfo.cache"
done
# A fresh user (temp HOME, no mimeapps.list of its own) gets certdesk for both.
xhome=$scratch/home
mkdir -p "$xhome"
printf 'url = "https://example.invalid/profile"\n' >"$scratch/test.certdesk"
# GIO reads the shared-mime-info database as file managers do (xdg-mime's generic fallback
# asks `file`, which knows no globs).
ftype=$(HOME=$xhome XDG_DATA_HOME=$xhome/.local/share gio info -a standard::content-type "$scratch/test.certdesk" |
  sed -n 's/^ *standard::content-type: //p')
[[ $ftype == application/x-certdesk-profile ]] || fail "gio: a .certdesk file is application/x-certdesk-profile (was $ftype)"
for type in application/x-certdesk-profile x-scheme-handler/certdesk; do
  handler=$(HOME=$xhome XDG_DATA_HOME=$xhome/.local/share XDG_CONFIG_HOME=$xhome/.config XDG_CURRENT_DESKTOP=X-Generic \
    xdg-mime query default "$type")
  [[ $handler == certdesk.desktop ]] || fail "xdg-mime: the default for $type is certdesk.desktop (was '$handler')"
done
ok "MIME type for .certdesk (gio) and the certdesk: scheme handler (xdg-mime) registered"

# --- the installed binary opens its first window ---------------------------------------------
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$scratch/display" 2>"$scratch/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do
  [[ -s "$scratch/display" ]] && break
  kill -0 "$xvfb_pid" 2>/dev/null || { cat "$scratch/xvfb.log" >&2; fail "Xvfb starts"; }
  sleep 0.1
done
display=":$(tr -d '\n' <"$scratch/display")"
mkdir -p "$xhome/wallet"
t2=$SECONDS
env HOME="$xhome" CERTDESK_HOME="$xhome/wallet" DISPLAY="$display" XDG_DATA_HOME="$xhome/.local/share" \
  XDG_CONFIG_HOME="$xhome/.config" XDG_CACHE_HOME="$xhome/.cache" LC_ALL=C.UTF-8 \
  /usr/bin/certdesk-app >"$scratch/app.log" 2>&1 &
app_pid=$!
window=""
for _ in $(seq 300); do
  window=$(DISPLAY=$display xdotool search --onlyvisible --name '^certdesk$' 2>/dev/null | head -1) || true
  [[ -n "$window" ]] && break
  kill -0 "$app_pid" 2>/dev/null || { cat "$scratch/app.log" >&2; fail "/usr/bin/certdesk-app exited before its window"; }
  sleep 0.1
done
[[ -n "$window" ]] || { cat "$scratch/app.log" >&2; fail "/usr/bin/certdesk-app shows a window titled certdesk within 30 s"; }
wpid=$(DISPLAY=$display xdotool getwindowpid "$window" 2>/dev/null || echo "?")
[[ $wpid == "$app_pid" ]] || fail "the window belongs to the started process ($wpid vs $app_pid)"
ok "installed /usr/bin/certdesk-app opened its window under Xvfb in $((SECONDS - t2)) s"
kill "$app_pid"
wait "$app_pid" 2>/dev/null || true
app_pid=""
kill "$xvfb_pid"
wait "$xvfb_pid" 2>/dev/null || true
xvfb_pid=""

# --- remove ----------------------------------------------------------------------------------
files=$(dpkg-query -L certdesk | grep -v '/$')
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq certdesk >"$scratch/purge.log" 2>&1 ||
  { cat "$scratch/purge.log" >&2; fail "apt-get purge certdesk"; }
installed=0
! dpkg-query -W -f='${db:Status-Status}' certdesk 2>/dev/null | grep -qx installed || fail "certdesk is no longer installed"
left=()
while read -r f; do
  # Directories shared with other packages stay; the package's own files must not.
  [[ -d "$f" ]] && continue
  [[ -e "$f" ]] && left+=("$f")
done <<<"$files"
((${#left[@]} == 0)) || fail "purge left ${left[*]}"
[[ ! -e /usr/share/mime/application/x-certdesk-profile.xml ]] || fail "the MIME type is unregistered"
! grep -q "certdesk.desktop" /usr/share/applications/mimeinfo.cache || fail "mimeinfo.cache no longer names certdesk.desktop"
ok "apt-get purge certdesk: no file, MIME type or handler left"

echo "deb-suite: $checks checks passed in $((SECONDS - t0)) s"
