/**
 * Programs written against the one-group / one-session shorthands of `MirroringTopology`
 * (`replicas` + `availabilityGroup`, `partners` + `witness` + `mirroring`), as existing stacks use
 * them. test/unit/fixtures/shorthand-registrations.json holds what each registered with the code
 * before the estate form existed (commit daf174b); topologyShorthand.test.ts checks they still
 * register exactly that.
 */
const instance = (name: string, port: number, extra: Record<string, unknown> = {}) => ({
  name,
  connection: { server: `${name}.corp`, port: 1433, user: "sa", password: "Sa-Passw0rd!" },
  masterKeyPassword: "Mk-Passw0rd!",
  endpoint: { port },
  ...extra,
});

/** Each program's arguments, by a short name. */
export const SHORTHAND_PROGRAMS: Record<string, Record<string, unknown>> = {
  "replicas only": {
    replicas: [instance("a", 5022), instance("b", 5023), instance("c", 5024)],
  },
  "replicas with defaults and overrides": {
    replicas: [
      instance("a", 5022, { certificate: { validityDays: 90, rotateBeforeDays: 20 } }),
      instance("b", 5023, { endpointHost: "fd00::2", endpoint: { port: 5023, encryption: "SUPPORTED", algorithm: "AES RC4" } }),
    ],
    encryption: "SUPPORTED",
    algorithm: "AES",
    certificate: { subject: "estate cert", validityDays: 180, warnBeforeDays: 10 },
    namePrefix: "hadr_",
  },
  "replicas with an availability group": {
    replicas: [instance("a", 5022), instance("b", 5023), instance("c", 5024)],
    availabilityGroup: {
      name: "sales",
      databases: ["orders", { name: "stock", seedingMode: "MANUAL" }],
      readableSecondaries: "READ_ONLY",
      replicaOptions: { c: { availabilityMode: "ASYNCHRONOUS_COMMIT", backupPriority: 10 } },
      requiredSynchronizedSecondariesToCommit: 1,
      connectTimeoutSeconds: 30,
      synchronizationTimeoutSeconds: 0,
    },
  },
  "partners only": {
    partners: [instance("p", 5022), instance("q", 5023)],
  },
  "partners and witness": {
    partners: [instance("p", 5022), instance("q", 5023)],
    witness: instance("w", 5024, { adoptMasterKey: false }),
  },
  "partners, witness and mirroring": {
    partners: [instance("q", 5023), instance("p", 5022)],
    witness: instance("w", 5024),
    mirroring: { databases: ["sales", "stock"], timeoutSeconds: 20, seeding: { backupPath: "/srv/share" }, principal: "q", waitTimeoutMs: 60000 },
  },
  "partners with high-performance mirroring": {
    partners: [instance("p", 5022), instance("q", 5023)],
    mirroring: { databases: ["sales"], safety: "OFF" },
  },
};
