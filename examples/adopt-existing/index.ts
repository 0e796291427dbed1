// Bringing an instance that DBAs already configured by hand under management: it has a database
// master key (often protecting TDE certificates too) and a DATABASE_MIRRORING endpoint. The key is
// adopted and never altered or dropped; the endpoint is adopted (only one can exist per instance),
// reconfigured to certificate authentication, and restored to its original settings on destroy.
import * as pulumi from "@pulumi/pulumi";
import { MirroringTopology, type ConnectionArgs } from "pulumi-mssql-mirroring";

interface Instance {
  name: string;
  server: string;
  port: number;
  endpointPort: number;
  /** Name of the endpoint that already exists on this instance, if any. */
  existingEndpoint?: string;
}

const config = new pulumi.Config();
const [a, b] = config.requireObject<Instance[]>("instances");
const connection = (i: Instance): ConnectionArgs => ({
  server: i.server,
  port: i.port,
  user: config.get("sqlLogin") ?? "sa",
  password: config.requireSecret("sqlPassword"),
  ca: config.get("tlsCa"),
});
const masterKeyPassword = config.requireSecret("masterKeyPassword");
const spec = (i: Instance) => ({
  name: i.name,
  connection: connection(i),
  masterKeyPassword,
  adoptMasterKey: true,
  endpoint: i.existingEndpoint ? { name: i.existingEndpoint, port: i.endpointPort, adopt: true } : { port: i.endpointPort },
});

const mirroring = new MirroringTopology("adopted", { partners: [spec(a!), spec(b!)] });

export const endpointUrls = mirroring.endpointUrls;
