#!/usr/bin/env bash
# Ensures a Node.js 22 binary and prints the folder holding `node` (put it first on PATH).
# These machines ship Node 20; Node 22 comes from the npm registry's `node-linux-<arch>` package,
# which carries the official binary. Cached outside the checkout so fresh clones reuse it.
set -euo pipefail
NODE22_VERSION="${NODE22_VERSION:-22.23.3}"
cache="${PULUMI_MSSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-mssql-mirroring}"
log() { echo "[node22] $*" >&2; }

if command -v node >/dev/null 2>&1; then
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -ge 22 ] && [ "${NODE22_FORCE:-}" != "1" ]; then
    dirname "$(command -v node)"; exit 0
  fi
fi

case "$(uname -m)" in x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) log "unsupported arch $(uname -m)"; exit 1 ;; esac
dest="$cache/node-v$NODE22_VERSION-linux-$arch"
if [ ! -x "$dest/bin/node" ]; then
  log "fetching node-linux-$arch@$NODE22_VERSION from the npm registry"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE22_VERSION" >/dev/null)
  mkdir -p "$dest"
  tar -xzf "$tmp"/node-linux-*.tgz -C "$dest" --strip-components=1
  chmod +x "$dest/bin/node"
fi
"$dest/bin/node" --version >/dev/null
echo "$dest/bin"
