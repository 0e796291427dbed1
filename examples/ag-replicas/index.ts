// The endpoints of an Always On availability group of three replicas: a full mesh in which every
// replica trusts every other (3 × 2 = 6 trusts), endpoint role ALL. Creating the availability group
// itself (CREATE AVAILABILITY GROUP … ENDPOINT_URL = …) uses the endpointUrls output.
import * as pulumi from "@pulumi/pulumi";
import { MirroringTopology, type ConnectionArgs } from "pulumi-mssql-mirroring";

interface Instance {
  name: string;
  server: string;
  port: number;
  endpointPort: number;
}

const config = new pulumi.Config();
const instances = config.requireObject<Instance[]>("instances");
const connection = (i: Instance): ConnectionArgs => ({
  server: i.server,
  port: i.port,
  user: config.get("sqlLogin") ?? "sa",
  password: config.requireSecret("sqlPassword"),
  ca: config.get("tlsCa"),
});
const masterKeyPassword = config.requireSecret("masterKeyPassword");

const ag = new MirroringTopology("ag", {
  replicas: instances.map((i) => ({ name: i.name, connection: connection(i), masterKeyPassword, endpoint: { port: i.endpointPort } })),
  encryption: "REQUIRED",
  algorithm: "AES",
});

export const endpointUrls = ag.endpointUrls;
