#!/usr/bin/env bash
# Entry point behind the npm scripts, so each works on a fresh clone of a Node-20 machine:
# it fetches Node 22, installs dependencies when the lockfile changed, builds, builds the Pulumi CLI
# when a task needs it, then runs the task.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
cd "$PROJECT_ROOT"
task="${1:?task}"; shift

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[run] installing dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [ ! -f dist/provider/index.js ] || [ -n "$(find provider emulator bench -name '*.ts' -newer dist/.built 2>/dev/null | head -n1)" ] || [ ! -f dist/.built ]; then
  echo "[run] building" >&2
  npm run --silent build >&2
  touch dist/.built
fi

case "$task" in
  test)
    ensure_pulumi
    exec node scripts/test-summary.js "$@" ;;
  demo)
    ensure_pulumi
    exec node dist/scripts/demo.js "$@" ;;
  emulator)
    exec node dist/emulator/cli.js "$@" ;;
  bench)
    ensure_pulumi
    exec node dist/bench/run.js "$@" ;;
  *) echo "unknown task $task" >&2; exit 2 ;;
esac
