/**
 * A stand-in for Pulumi's Node.js dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`),
 * run as its own process with the working directory of the project it serves, so that module
 * resolution is that project's. Plain CommonJS: it runs outside the repo with only what the
 * project installed.
 *
 *   node serializedHost.cjs serialize <thinProvider.js> <kind>...
 *     prints, as JSON by kind, the text the SDK stores as `__provider`: serializeFunction(() =>
 *     provider, { allowSecrets: true }) of thinProvider(kind), using the @pulumi/pulumi the
 *     working directory resolves.
 *
 *   node serializedHost.cjs run <request.json>
 *     request: { text, inputs }. Loads `text` exactly as the host does (require-from-string, no
 *     filename, so `require` resolves from the working directory), then runs check → create → read
 *     → delete with every value crossing a google.protobuf.Struct, and prints one JSON line:
 *     { check, create, read, deleted, loaded } where `loaded` lists the package's provider files
 *     that ended up in require.cache, wherever they came from.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const projectRequire = createRequire(path.join(process.cwd(), "package.json"));
const pulumiDir = path.dirname(projectRequire.resolve("@pulumi/pulumi/package.json"));
// The host's own dependencies, resolved from where the host lives.
const hostRequire = createRequire(path.join(pulumiDir, "cmd", "dynamic-provider", "index.js"));

async function serialize(thinProviderFile, kinds) {
  const pulumi = projectRequire("@pulumi/pulumi");
  const texts = {};
  for (const kind of kinds) {
    const provider = require(thinProviderFile).thinProvider(kind);
    // The SDK's own call (dynamic/index.js serializeFunctionMaybeSecret), variable name included.
    texts[kind] = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
  }
  return JSON.stringify(texts);
}

async function run(requestFile) {
  const { text, inputs } = JSON.parse(fs.readFileSync(requestFile, "utf8"));
  const requireFromString = hostRequire("require-from-string");
  const { Struct } = hostRequire("google-protobuf/google/protobuf/struct_pb");
  const wire = (value) => Struct.fromJavaScript(value).toJavaScript();
  const withProvider = (props) => ({ ...props, __provider: text });

  const provider = requireFromString(text).handler();
  const checked = await provider.check({}, wire(withProvider(inputs)));
  const checkedInputs = wire(withProvider(checked.inputs));
  const created = await provider.create(checkedInputs);
  const state = wire(withProvider(created.outs));
  const read = await provider.read(created.id, state);
  await provider.delete(created.id, wire(withProvider(read.props)));
  // Whichever copy of the package got loaded (the cache holds real paths, symlinks resolved).
  const loaded = Object.keys(require.cache).filter((file) => file.includes(`${path.sep}dist${path.sep}provider${path.sep}`));
  return `${JSON.stringify({ check: checked, create: created, read, deleted: true, loaded })}\n`;
}

const [mode, ...args] = process.argv.slice(2);
(mode === "serialize" ? serialize(args[0], args.slice(1)) : run(args[0])).then(
  // Pooled connections would keep the process alive (the real host is ended by the engine): exit
  // once the output is flushed.
  (output) => process.stdout.write(output, () => process.exit(0)),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
