// Two partners and a witness (high-safety mode with automatic failover): every one of the three
// instances trusts the other two, with endpoint roles PARTNER, PARTNER and WITNESS.
import * as pulumi from "@pulumi/pulumi";
import { MirroringTopology, type ConnectionArgs } from "pulumi-mssql-mirroring";

interface Instance {
  name: string;
  server: string;
  port: number;
  endpointPort: number;
}

const config = new pulumi.Config();
const [a, b, w] = config.requireObject<Instance[]>("instances");
const connection = (i: Instance): ConnectionArgs => ({
  server: i.server,
  port: i.port,
  user: config.get("sqlLogin") ?? "sa",
  password: config.requireSecret("sqlPassword"),
  ca: config.get("tlsCa"),
});
const masterKeyPassword = config.requireSecret("masterKeyPassword");
const spec = (i: Instance) => ({ name: i.name, connection: connection(i), masterKeyPassword, endpoint: { port: i.endpointPort } });

const mirroring = new MirroringTopology("partners-witness", {
  partners: [spec(a!), spec(b!)],
  witness: spec(w!),
  encryption: "REQUIRED",
  algorithm: "AES",
  certificate: { validityDays: 365 },
});

export const endpointUrls = mirroring.endpointUrls;
export const thumbprints = pulumi.all(Object.fromEntries(Object.entries(mirroring.instances).map(([n, i]) => [n, i.certificate.thumbprint])));
