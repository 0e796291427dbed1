#!/usr/bin/env node
// A Node.js language host for the Pulumi CLI, so `pulumi preview/up/refresh/destroy` run Node
// programs on machines where the official Go host (module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) cannot be fetched: the Go module
// proxy here does not serve it. It speaks the LanguageRuntime gRPC service using the stubs that ship
// in @pulumi/pulumi, and runs the program exactly as the official host does: a child `node` on the
// SDK's own `cmd/run` entry point, with the engine/monitor addresses and config in the same flags
// and environment variables. Limitations: no plugin discovery (GetRequiredPlugins returns none, so
// only bundled plugins such as pulumi-nodejs' dynamic providers work), no `pulumi install`, no
// debugger attach.
"use strict";
const path = require("node:path");
const { spawn } = require("node:child_process");
const { createRequire } = require("node:module");

const engineAddress = process.argv[process.argv.length - 1];
// Resolve the SDK the way the program will: from the program's directory (the CLI's cwd for us).
const fromProgram = createRequire(path.join(process.cwd(), "__pulumi_language_host__.js"));
let sdkPackageJson;
try {
  sdkPackageJson = fromProgram.resolve("@pulumi/pulumi/package.json");
} catch {
  console.error(`pulumi-language-nodejs: cannot resolve @pulumi/pulumi from ${process.cwd()}; run npm install`);
  process.exit(1);
}
const sdkRoot = path.dirname(sdkPackageJson);
const fromSdk = createRequire(sdkPackageJson);
const grpc = fromSdk("@grpc/grpc-js");
const langrpc = fromSdk("./proto/language_grpc_pb");
const langproto = fromSdk("./proto/language_pb");
const plugproto = fromSdk("./proto/plugin_pb");
const emptyproto = fromSdk("google-protobuf/google/protobuf/empty_pb");
const sdkVersion = fromSdk("./package.json").version;

const unimplemented = (name) => (_call, callback) =>
  callback({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by this language host` });

function programOptions(info) {
  const options = info && info.getOptions && info.getOptions() ? info.getOptions().toJavaScript() : {};
  return options || {};
}

function run(call, callback) {
  const req = call.request;
  const info = req.getInfo();
  const options = programOptions(info);
  const entry = (info && info.getEntryPoint()) || req.getProgram() || ".";
  const programDir = (info && info.getProgramDirectory()) || req.getPwd();
  const args = [
    path.join(sdkRoot, "cmd", "run"),
    `--monitor=${req.getMonitorAddress()}`,
    `--engine=${engineAddress}`,
    `--project=${req.getProject()}`,
    `--stack=${req.getStack()}`,
    `--pwd=${req.getPwd()}`,
    `--organization=${req.getOrganization()}`,
  ];
  if (info && info.getRootDirectory()) args.push(`--root-directory=${info.getRootDirectory()}`);
  if (req.getParallel() > 0) args.push(`--parallel=${req.getParallel()}`);
  if (req.getDryrun()) args.push("--dry-run");
  args.push(path.isAbsolute(entry) ? entry : path.join(programDir, entry), ...req.getArgsList());

  const config = {};
  for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
  const typescript = options.typescript !== false;
  const env = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
    PULUMI_NODEJS_TYPESCRIPT: String(typescript),
  };
  if (typeof options.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  const nodeargs = typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [];

  const child = spawn(process.execPath, [...nodeargs, ...args], { cwd: req.getPwd(), env, stdio: ["ignore", "inherit", "inherit"] });
  child.on("error", (err) => {
    const resp = new langproto.RunResponse();
    resp.setError(`could not start node: ${err.message}`);
    callback(null, resp);
  });
  child.on("exit", (code, signal) => {
    const resp = new langproto.RunResponse();
    if (code === 32) resp.setBail(true); // the program already reported its error to the user
    else if (code !== 0) resp.setError(signal ? `Program exited with signal ${signal}` : `Program exited with non-zero exit code: ${code}`);
    callback(null, resp);
  });
}

const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(langrpc.LanguageRuntimeService, {
  handshake(_call, callback) {
    callback(null, new langproto.LanguageHandshakeResponse());
  },
  getRequiredPlugins(_call, callback) {
    const resp = new langproto.GetRequiredPluginsResponse();
    resp.setPluginsList([]);
    callback(null, resp);
  },
  getRequiredPackages(_call, callback) {
    const resp = new langproto.GetRequiredPackagesResponse();
    resp.setPackagesList([]);
    callback(null, resp);
  },
  run,
  getPluginInfo(_call, callback) {
    const resp = new plugproto.PluginInfo();
    resp.setVersion(sdkVersion);
    callback(null, resp);
  },
  installDependencies: unimplemented("InstallDependencies (run npm install yourself)"),
  runtimeOptionsPrompts(_call, callback) {
    callback(null, new langproto.RuntimeOptionsResponse());
  },
  about(_call, callback) {
    const resp = new langproto.AboutResponse();
    resp.setExecutable(process.execPath);
    resp.setVersion(process.version);
    callback(null, resp);
  },
  getProgramDependencies(_call, callback) {
    callback(null, new langproto.GetProgramDependenciesResponse());
  },
  runPlugin: unimplemented("RunPlugin"),
  generateProgram: unimplemented("GenerateProgram"),
  generateProject: unimplemented("GenerateProject"),
  generatePackage: unimplemented("GeneratePackage"),
  pack: unimplemented("Pack"),
  link: unimplemented("Link"),
});
void emptyproto;
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(`pulumi-language-nodejs: ${err.message}`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});
// The engine kills the host when it is done; shut down cleanly on a signal.
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.tryShutdown(() => process.exit(0)));
