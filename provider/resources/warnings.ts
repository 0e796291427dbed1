/**
 * Warnings from a provider operation to the Pulumi engine, such as "these secondary copies stay
 * RESTORING" when a database leaves a group.
 *
 * Why not just `pulumi.log.warn`: inside the dynamic-provider host the SDK's runtime has no engine
 * address (the host is started with it as its only argument, and never records it), so the call
 * falls back to printing `warning: [runtime] …` on stderr, which the CLI shows as a plain message
 * rather than a warning. Giving the runtime that address first makes it a real engine warning,
 * counted and shown under Diagnostics. The warning carries no resource URN (the dynamic provider
 * interface passes none to `delete`), so the text names the object itself.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const HOST_SCRIPT = ["cmd", "dynamic-provider", "index.js"].join(path.sep);
const ADDRESS = /^[\w.[\]:-]+:\d{1,5}$/;

/** Points the SDK's runtime at the engine when this process is the dynamic-provider host. */
function connectToEngine(): void {
  const [, script = "", address = ""] = process.argv;
  if (!script.endsWith(HOST_SCRIPT) || !ADDRESS.test(address)) return;
  // The runtime's settings store is internal to the SDK (3.x); should it ever move, the require or
  // the lookup throws and the warning falls back to the SDK's own stderr line.
  const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { options: { engineAddr?: string } } } };
  const options = state.getStore().settings.options;
  if (!options.engineAddr) options.engineAddr = address;
}

/** Sends `message` as a warning; a warning that cannot be delivered never fails the operation. */
export async function warn(message: string): Promise<void> {
  try {
    connectToEngine();
  } catch {
    // The SDK's own fallback below still prints the warning.
  }
  try {
    await pulumi.log.warn(message);
  } catch {
    // Nothing to do: the operation itself succeeded.
  }
}
