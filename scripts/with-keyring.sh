#!/usr/bin/env bash
# Runs a command with a private, unlocked Secret Service (gnome-keyring) on the current D-Bus
# session bus, so tests exercise the real OS keyring without touching the user's.
#
#   dbus-run-session -- scripts/with-keyring.sh cargo nextest run …
#
# The daemon gets a temporary HOME, XDG_DATA_HOME and XDG_RUNTIME_DIR (its keyrings live there
# and vanish afterwards), is unlocked with a throwaway password on stdin, and is stopped by PID
# when the command ends. The command keeps the caller's HOME and stdin; its exit status is ours.
set -euo pipefail

if (($# == 0)); then
  echo "usage: dbus-run-session -- $0 COMMAND [ARG…]" >&2
  exit 2
fi
if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
  echo "with-keyring: no D-Bus session; run me as: dbus-run-session -- $0 $*" >&2
  exit 2
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-keyring.XXXXXX")
chmod 700 "$scratch"
mkdir -p "$scratch/home" "$scratch/data" "$scratch/run"
chmod 700 "$scratch/run"
daemon_pid=""

# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  if [[ -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill "$daemon_pid" 2>/dev/null || true
    # Five seconds' grace (until it is gone or a zombie), then SIGKILL; `wait` reaps it.
    local state
    for _ in $(seq 50); do
      state=$(cut -d' ' -f3 "/proc/$daemon_pid/stat" 2>/dev/null || true)
      [[ -z "$state" || "$state" == Z ]] && break
      sleep 0.1
    done
    kill -KILL "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --foreground keeps the daemon our child so we know its PID. With only the secrets component it
# prints no environment; anything it does print (VAR=value) is exported for the command.
printf '%s' "certdesk-test-keyring" |
  HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" \
    gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$scratch/env" 2>"$scratch/daemon.log" &
daemon_pid=$!

# Ready once it owns the Secret Service name. NameHasOwner does not trigger D-Bus activation,
# which could otherwise start a second, locked daemon with the real HOME.
secrets_owned() {
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q true
}
ready=0
for _ in $(seq 100); do
  if secrets_owned; then
    ready=1
    break
  fi
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if ((ready == 0)); then
  echo "with-keyring: gnome-keyring-daemon did not take org.freedesktop.secrets; its log:" >&2
  cat "$scratch/daemon.log" >&2 || true
  exit 1
fi

while IFS='=' read -r name value; do
  if [[ "$name" =~ ^[A-Z_][A-Z0-9_]*$ ]]; then
    export "$name=$value"
  fi
done <"$scratch/env"
echo "with-keyring: test keyring ready (gnome-keyring-daemon pid $daemon_pid)" >&2

status=0
"$@" || status=$?
exit "$status"
