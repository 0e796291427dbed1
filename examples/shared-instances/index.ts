// Three instances, two availability groups that share one of them: AG1 over sql-a and sql-b,
// AG2 over sql-b and sql-c. Each instance is declared once; its master key, certificate and
// endpoint (role ALL) are declared once whatever number of groups use it, and the trusts are the
// union of the pairs the groups need: sql-a <-> sql-b and sql-b <-> sql-c, never sql-a <-> sql-c.
import * as pulumi from "@pulumi/pulumi";
import { MirroringTopology, type ConnectionArgs, type InstanceSpec } from "pulumi-mssql-mirroring";

interface Instance {
  name: string;
  server: string;
  port: number;
  endpointPort: number;
  /** Host the other replicas reach this one's endpoint at; default `server`. */
  endpointHost?: string;
}

const config = new pulumi.Config();
const [a, b, c] = config.requireObject<Instance[]>("instances");
if (a === undefined || b === undefined || c === undefined) throw new Error("config instances: give three instances (AG1 over the first two, AG2 over the last two)");
const connection = (i: Instance): ConnectionArgs => ({
  server: i.server,
  port: i.port,
  user: config.get("sqlLogin") ?? "sa",
  password: config.requireSecret("sqlPassword"),
  ca: config.get("tlsCa"),
});
const masterKeyPassword = config.requireSecret("masterKeyPassword");
const spec = (i: Instance): InstanceSpec => ({
  name: i.name,
  connection: connection(i),
  masterKeyPassword,
  endpoint: { port: i.endpointPort },
  ...(i.endpointHost !== undefined ? { endpointHost: i.endpointHost } : {}),
});

const estate = new MirroringTopology("estate", {
  instances: [spec(a), spec(b), spec(c)],
  availabilityGroups: [
    // Each database must exist on the group's first replica, ONLINE, in FULL recovery, with a full backup.
    { name: config.get("ag1Name") ?? "ag1", replicas: [a.name, b.name], databases: config.getObject<string[]>("ag1Databases") ?? ["sales"] },
    { name: config.get("ag2Name") ?? "ag2", replicas: [b.name, c.name], databases: config.getObject<string[]>("ag2Databases") ?? ["stock"] },
  ],
  encryption: "REQUIRED",
  algorithm: "AES",
});

export const endpointUrls = estate.endpointUrls;
/** The directed pairs trusted, `"<receiver>/<peer>"`: one each, however many groups need it. */
export const trusts = Object.keys(estate.trusts);
/** Each group's current primary replica. */
export const primaryReplicas = pulumi.output(Object.fromEntries(Object.entries(estate.availabilityGroups).map(([name, g]) => [name, g.group.primaryReplica])));
