#!/usr/bin/env bash
# Ensures a Pulumi CLI of at least $PULUMI_VERSION, fully offline-capable, and prints the folder
# that holds `pulumi` and `pulumi-resource-pulumi-nodejs` (put it first on PATH).
#
# 1. A `pulumi` already on PATH at >= the pinned version is used as is.
# 2. Otherwise the CLI is built from the Go module proxy with a throwaway wrapper module that
#    requires pkg/v3 and sdk/v3 at one version and copies the non-local `replace` lines of that
#    version's pkg/go.mod (they are why `go install …/cmd/pulumi@v` refuses to work).
# The build lands in a cache folder outside the checkout, so fresh clones (CI) reuse it.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-3.274.1}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cache="${PULUMI_MSSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-mssql-mirroring}"
bindir="$cache/pulumi-v$PULUMI_VERSION/bin"
log() { echo "[pulumi-cli] $*" >&2; }

version_ge() { # version_ge A B: A >= B (dotted numbers)
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

place_nodejs_plugin() { # the dynamic-provider plugin ships inside @pulumi/pulumi
  local dir="$1" src="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ -f "$src" ] && [ -w "$dir" ]; then
    install -m 0755 "$src" "$dir/pulumi-resource-pulumi-nodejs"
  fi
  # Our Node.js language host (the Go one is not served by the module proxy), unless one is there.
  if [ -w "$dir" ] && { [ ! -e "$dir/pulumi-language-nodejs" ] || [ -f "$dir/pulumi-language-nodejs.js" ]; }; then
    install -m 0755 "$root/scripts/pulumi-language-nodejs" "$dir/pulumi-language-nodejs"
    install -m 0644 "$root/scripts/pulumi-language-nodejs.js" "$dir/pulumi-language-nodejs.js"
  fi
}

if command -v pulumi >/dev/null 2>&1 && [ "${PULUMI_FORCE_BUILD:-}" != "1" ]; then
  have="$(pulumi version 2>/dev/null | sed 's/^v//')"
  if [ -n "$have" ] && version_ge "${have%%-*}" "$PULUMI_VERSION"; then
    dir="$(dirname "$(command -v pulumi)")"
    log "using pulumi v$have from $dir"
    place_nodejs_plugin "$dir"
    echo "$dir"
    exit 0
  fi
fi

if [ -x "$bindir/pulumi" ] && "$bindir/pulumi" version >/dev/null 2>&1; then
  place_nodejs_plugin "$bindir"
  echo "$bindir"
  exit 0
fi

command -v go >/dev/null 2>&1 || { log "no pulumi on PATH and no Go toolchain to build one"; exit 1; }
log "building pulumi v$PULUMI_VERSION from the Go module proxy (one-time, cached in $cache)"
start=$(date +%s)
work="$cache/pulumi-v$PULUMI_VERSION/wrapper"
rm -rf "$work"; mkdir -p "$work" "$bindir"
cd "$work"
export GOFLAGS="${GOFLAGS:-} -mod=mod" GOTOOLCHAIN=local
go mod init local/pulumi-cli >/dev/null 2>&1
gomod="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -f "$gomod" ] || { log "could not fetch pkg/v3@v$PULUMI_VERSION"; exit 1; }
# Single-line and block replace directives, minus the local (../) ones.
awk '
  /^replace \(/ { inblock=1; next }
  inblock && /^\)/ { inblock=0; next }
  inblock { print; next }
  /^replace / { sub(/^replace /, ""); print }
' "$gomod" | grep -v '=> \.' | while read -r old arrow new ver; do
  [ -n "$old" ] || continue
  go mod edit -replace "$old=$new${ver:+@$ver}"
done
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >&2
go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" >&2
CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
  -o "$bindir/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
place_nodejs_plugin "$bindir"
log "built in $(( $(date +%s) - start ))s: $("$bindir/pulumi" version)"
echo "$bindir"
