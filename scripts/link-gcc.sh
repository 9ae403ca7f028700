#!/bin/sh
# The host linker for cargo (.cargo/config.toml): gcc driving mold when mold is installed,
# gcc's default linker otherwise, so a machine without mold still builds.
if command -v mold >/dev/null 2>&1; then
  exec cc -fuse-ld=mold "$@"
fi
exec cc "$@"
