// Two database-mirroring partners that authenticate each other with certificates.
import * as pulumi from "@pulumi/pulumi";
import { MirroringTopology, type ConnectionArgs } from "pulumi-mssql-mirroring";

interface Instance {
  name: string;
  server: string;
  port: number;
  endpointPort: number;
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

const mirroring = new MirroringTopology("two-partners", {
  partners: [
    { name: a!.name, connection: connection(a!), masterKeyPassword, endpoint: { port: a!.endpointPort } },
    { name: b!.name, connection: connection(b!), masterKeyPassword, endpoint: { port: b!.endpointPort } },
  ],
});

export const endpointUrls = mirroring.endpointUrls;
