# Sourced by scripts/run.sh and .ci/run: puts Node 22 and the Pulumi CLI first on PATH and makes
# every Pulumi command offline (local backend, passphrase secrets, no update checks, no plugin
# downloads). Nothing here leaves the machine.
_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$_here/.." && pwd)"
export PROJECT_ROOT
PATH="$(bash "$_here/node22.sh"):$PATH"
export PATH
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="${PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK:-false}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
# The dynamic-provider plugin resolves this package and @pulumi/pulumi from its working directory;
# NODE_PATH lets programs outside the checkout (temporary test projects) resolve them too.
export NODE_PATH="$PROJECT_ROOT/node_modules${NODE_PATH:+:$NODE_PATH}"
ensure_pulumi() {
  local dir
  dir="$(bash "$_here/pulumi-cli.sh")" || return 1
  PATH="$dir:$PATH"
  export PATH
}
