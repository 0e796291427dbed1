#!/usr/bin/env bash
# A second, independent TDS client for the emulator's interoperability test: Python's pytds
# (python-tds from PyPI, the version and hash in second-client-requirements.txt) in a cached
# virtualenv. Prints the python interpreter to use.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="$here/second-client-requirements.txt"
cache="${PULUMI_MSSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-mssql-mirroring}"
venv="$cache/pytds-venv"
# The venv is reused only when it holds exactly the pinned version.
pinned="$(sed -n 's/^python-tds==\([^ ]*\).*/\1/p' "$requirements")"
have="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("python-tds"))' 2>/dev/null || true)"
if [ "$have" != "$pinned" ]; then
  command -v python3 >/dev/null 2>&1 || { echo "python3 not found" >&2; exit 1; }
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$requirements" >&2
fi
echo "$venv/bin/python"
