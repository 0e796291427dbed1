#!/usr/bin/env bash
# A second, independent TDS client for the emulator's interoperability test: Python's pytds
# (python-tds from PyPI) in a cached virtualenv. Prints the python interpreter to use.
set -euo pipefail
cache="${PULUMI_MSSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-mssql-mirroring}"
venv="$cache/pytds-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pytds' >/dev/null 2>&1; then
  command -v python3 >/dev/null 2>&1 || { echo "python3 not found" >&2; exit 1; }
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check python-tds >&2
fi
echo "$venv/bin/python"
