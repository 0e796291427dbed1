/**
 * Compares what a stack's state says exists with what the instances' catalogs hold, so a test can
 * prove that a failed or interrupted command left nothing orphaned and nothing phantom.
 */
import type { Deployment } from "@pulumi/pulumi/automation";
import type { EmulatorInstance } from "../../emulator";

/** `port kind name` strings of the package's objects recorded in state. */
export function objectsInState(deployment: Deployment): string[] {
  const out: string[] = [];
  const resources = (deployment.deployment as { resources?: Array<{ type: string; outputs?: Record<string, unknown> }> }).resources ?? [];
  for (const r of resources) {
    const kind = /^pulumi-nodejs:dynamic\/mssql-mirroring:(\w+)$/.exec(r.type)?.[1];
    if (!kind || !r.outputs) continue;
    const o = r.outputs;
    const port = (o.connection as { port: number }).port;
    switch (kind) {
      case "MasterKey":
        if (o.adopted !== true) out.push(`${port} master-key`);
        break;
      case "Certificate":
      case "PeerCertificate":
        out.push(`${port} certificate ${String(o.certificateName)}`);
        break;
      case "MirroringEndpoint":
        out.push(`${port} endpoint ${String(o.name)}`);
        break;
      case "Login":
        out.push(`${port} login ${String(o.name)}`);
        break;
      case "User":
        out.push(`${port} user ${String(o.name)}`);
        break;
      case "EndpointPermission":
        out.push(`${port} connect ${String(o.endpoint)} ${String(o.login)}`);
        break;
    }
  }
  return out.sort();
}

/**
 * The same strings for what the catalogs hold, limited to objects a stack could have made: every
 * endpoint, and certificates, logins, users and grants whose names start with `prefix`. Master keys
 * listed in `preexisting` (by port) are left out.
 */
export function objectsInCatalogs(instances: EmulatorInstance[], prefix = "mirroring_", preexisting: number[] = []): string[] {
  const out: string[] = [];
  for (const i of instances) {
    const c = i.catalog();
    const rows = (view: string) => c[view] ?? [];
    if (rows("sys.symmetric_keys").some((k) => k.name === "##MS_DatabaseMasterKey##") && !preexisting.includes(i.port)) out.push(`${i.port} master-key`);
    for (const r of rows("sys.certificates")) if (String(r.name).startsWith(prefix)) out.push(`${i.port} certificate ${String(r.name)}`);
    for (const r of rows("sys.database_mirroring_endpoints")) out.push(`${i.port} endpoint ${String(r.name)}`);
    for (const r of rows("sys.server_principals")) if (String(r.name).startsWith(prefix)) out.push(`${i.port} login ${String(r.name)}`);
    for (const r of rows("sys.database_principals")) if (String(r.name).startsWith(prefix)) out.push(`${i.port} user ${String(r.name)}`);
    const endpointName = new Map(rows("sys.endpoints").map((e) => [e.endpoint_id, String(e.name)]));
    const principal = new Map(rows("sys.server_principals").map((p) => [p.principal_id, String(p.name)]));
    for (const p of rows("sys.server_permissions")) {
      const grantee = principal.get(p.grantee_principal_id) ?? "";
      if (p.class === 105 && String(p.type).trim() === "CO" && grantee.startsWith(prefix) && String(p.state).trim() !== "D") {
        out.push(`${i.port} connect ${endpointName.get(p.major_id) ?? "?"} ${grantee}`);
      }
    }
  }
  return out.sort();
}
