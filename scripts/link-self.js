// Makes `require("pulumi-mssql-mirroring")` resolve inside this checkout (examples, the root
// Pulumi program, serialized providers run by the dynamic-provider plugin) exactly as it does in a
// user's project, where the package sits under node_modules.
const fs = require("node:fs");
const path = require("node:path");
const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "pulumi-mssql-mirroring");
try {
  if (fs.lstatSync(link).isSymbolicLink() && fs.realpathSync(link) === root) process.exit(0);
  fs.rmSync(link, { recursive: true, force: true });
} catch {
  /* not there yet */
}
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
