// Certificate rotation without cutting connections. Change `certificateExpiry` (or the subject) and
// run `pulumi up`: each instance gets a new certificate under a new name, every peer imports the new
// public key beside the old one, only then does the endpoint switch to the new certificate, and the
// old certificates are dropped last. At every step each instance still accepts its peers.
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
const expiryDate = config.require("certificateExpiry"); // e.g. 2027-06-30T00:00:00Z
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
  endpoint: { port: i.endpointPort },
  certificate: { expiryDate },
});

const mirroring = new MirroringTopology("rotation", { partners: [spec(a!), spec(b!)] });

export const certificates = pulumi.all(
  Object.fromEntries(
    Object.entries(mirroring.instances).map(([n, i]) => [n, pulumi.all({ name: i.certificate.certificateName, expiryDate: i.certificate.expiryDate })]),
  ),
);
