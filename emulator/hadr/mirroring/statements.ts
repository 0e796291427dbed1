/**
 * The rules of ALTER DATABASE … SET PARTNER / SET WITNESS ("ALTER DATABASE Database Mirroring
 * (Transact-SQL)", "Setting Up Database Mirroring (SQL Server)", "Prepare a Mirror Database for
 * Mirroring") and SQL Server's error for each, in the order they are checked. Each rule is listed
 * with its source in emulator/README.md "Database mirroring sessions"; those the pages do not settle
 * are assumptions there (M1–M12).
 */
import { randomUUID } from "node:crypto";
import type { MirroringAlterRequest } from "../../engine/engine";
import { SqlError, sqlMessage } from "../../engine/errors";
import { parseEndpointUrl } from "../url";
import { lsnText, type LogPosition } from "./messages";
import type { PartnerRecord } from "./records";
import { mirroringError, type MirroringSessions, type PartnerRuntime, type Reply } from "./sessions";

const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();

/** The error a peer's reply carries, or `fallback` when no reply came. */
function replyError(reply: Reply | undefined, fallback: SqlError): SqlError {
  if (!reply) return fallback;
  const e = reply.error;
  return e ? new SqlError(sqlMessage(e.number, e.args, { line: 0 })) : fallback;
}

/** Runs one statement on `service` (see the module comment). */
export async function runMirroringStatement(service: MirroringSessions, request: MirroringAlterRequest): Promise<void> {
  const { database, option } = request;
  switch (option.kind) {
    case "partner":
      return setPartner(service, database, option.url);
    case "forceService":
      // Not used by the provider; forced service (and the data it may lose) is outside the subset.
      throw mirroringError(50000, "ALTER DATABASE … SET PARTNER FORCE_SERVICE_ALLOW_DATA_LOSS");
    default:
      break;
  }
  const record = service.record(database);
  // Every other option needs a session: 1416.
  if (!record) throw mirroringError(1416, database);
  const runtime = service.runtime(record);
  switch (option.kind) {
    case "off":
      // "You can specify OFF on either partner."
      service.send(runtime.link, service.message<"off">(record.database, { type: "off", guid: record.guid }));
      if (record.role === "PRINCIPAL" && runtime.witnessLink) service.send(runtime.witnessLink, service.message<"witnessOff">(record.database, { type: "witnessOff", guid: record.guid }));
      service.endSession(record);
      return;
    case "suspend":
      // "You can specify SUSPEND on either partner."
      if (record.suspended) return;
      if (record.role === "MIRROR") {
        if (!service.connected(record, runtime)) throw mirroringError(1456, record.partnerUrl);
        const reply = await service.request(runtime.link, service.message<"suspend">(record.database, { type: "suspend", guid: record.guid }));
        if (!reply?.ok) throw replyError(reply, mirroringError(1456, record.partnerUrl));
        record.suspended = true;
        service.save();
        return;
      }
      record.suspended = true;
      record.suspendedSequence++;
      service.save();
      service.evaluateAll();
      return;
    default:
      break;
  }
  // SAFETY, TIMEOUT, RESUME, FAILOVER and WITNESS: "You can specify … only on the principal server."
  if (record.role !== "PRINCIPAL" || !record.started) throw mirroringError(1470, record.database);
  switch (option.kind) {
    case "resume":
      if (!record.suspended) return;
      record.suspended = false;
      record.suspendedSequence++;
      service.save();
      service.catchUp(record, runtime);
      service.evaluateAll();
      return;
    case "safety":
      if (record.safety === option.safety) return;
      return changeSetting(service, record, runtime, () => {
        record.safety = option.safety;
        record.safetySequence++;
      });
    case "timeout": {
      if (option.seconds > 32767) throw mirroringError(1476, option.seconds);
      // "If you specify a time-out value of 0 to 4 seconds, the time-out period is automatically set to 5 seconds."
      const seconds = Math.max(5, option.seconds);
      if (record.timeoutSeconds === seconds) return;
      return changeSetting(service, record, runtime, () => (record.timeoutSeconds = seconds));
    }
    case "failover":
      return failover(service, record, runtime);
    case "witness":
      return setWitness(service, record, runtime, option.url);
    case "witnessOff":
      return witnessOff(service, record, runtime);
  }
}

/** The local endpoint must be STARTED with ROLE PARTNER or ALL ("To execute a SET PARTNER statement, the STATE of the endpoints of both partners must be set to STARTED"). */
function checkOwnEndpoint(service: MirroringSessions, url: string): void {
  const endpoint = service.engine.mirroringEndpoint();
  if (!endpoint || endpoint.state !== "STARTED" || (endpoint.role !== "PARTNER" && endpoint.role !== "ALL")) throw mirroringError(1418, url);
}

function checkAddress(service: MirroringSessions, url: string): void {
  try {
    parseEndpointUrl(url);
  } catch {
    throw mirroringError(1449);
  }
  if (same(url, service.ownUrl)) throw mirroringError(1452);
}

/**
 * SET PARTNER = 'TCP://…': on a RESTORING copy it prepares the mirror (first step); on an ONLINE
 * database it starts the session with the mirror it names (second step).
 */
async function setPartner(service: MirroringSessions, database: string, url: string): Promise<void> {
  const layer = service.engine.databases;
  const info = layer.get(database)!;
  if (service.record(database)) throw mirroringError(1405, info.name);
  checkAddress(service, url);
  if (info.recoveryModel !== "FULL") throw mirroringError(1465, info.name);
  if (info.access.kind === "readOnly") throw mirroringError(1466, info.name);
  checkOwnEndpoint(service, url);
  const record: PartnerRecord = {
    database: info.name,
    guid: randomUUID().toUpperCase(),
    role: "MIRROR",
    started: false,
    partnerUrl: url,
    partnerServer: null,
    witnessUrl: null,
    witnessServer: null,
    safety: "FULL",
    safetySequence: 1,
    roleSequence: 1,
    timeoutSeconds: 10,
    suspended: false,
    suspendedSequence: 0,
    familyGuid: info.familyGuid,
    failoverLsn: null,
  };
  if (info.state === "RESTORING") {
    // The mirror's step: it waits for its principal (which connects with the second step).
    service.addRecord(record);
    return;
  }
  await startAsPrincipal(service, record, url);
}

/** The principal's step: checks the mirror's copy over a connection to it, then starts the session. */
async function startAsPrincipal(service: MirroringSessions, record: PartnerRecord, url: string): Promise<void> {
  const hadr = service.options.hadr;
  const attempt = await hadr.connect(url, { role: "partner", peerRole: "partner", timeoutMs: service.waitMs });
  if (!attempt.ok) throw mirroringError(1418, url);
  const connection = attempt.connection;
  service.listen(connection);
  try {
    const probe = await service.request(connection, service.message<"probe">(record.database, { type: "probe" }));
    if (!probe) throw mirroringError(1418, url);
    const copy = (probe.data ?? {}) as unknown as { exists?: boolean; configured?: boolean; started?: boolean; state?: string; recoveryModel?: string; familyGuid?: string; nextLsn?: string } & LogPosition;
    if (!copy.exists) throw mirroringError(1448, record.database);
    if (!copy.configured) throw mirroringError(1416, record.database);
    if (copy.started) throw mirroringError(1460, record.database);
    if (copy.state !== "RESTORING") throw mirroringError(1464, record.database);
    if (!same(copy.familyGuid, record.familyGuid)) throw mirroringError(1407, record.database);
    if (copy.recoveryModel !== "FULL") throw mirroringError(1465, record.database);
    if (service.continues(record.database, copy) !== "ok") throw mirroringError(1412, record.database);
    const nextLogBackup = service.engine.databases.get(record.database)?.nextLogBackupLsn ?? null;
    // A log backup on the principal after the mirror copy's last restored one: the mirror could not keep the chain (1478).
    if (nextLogBackup !== null && copy.nextLsn !== undefined && nextLogBackup > BigInt(copy.nextLsn)) throw mirroringError(1478, record.database);
    // Both directions must connect: the mirror's link to this instance is its own (its trust of us).
    const mirrorServer = probe.from;
    if (!(await service.waitUntil(() => service.hears(mirrorServer)))) throw mirroringError(1418, url);
    Object.assign(record, { role: "PRINCIPAL", started: true, partnerServer: mirrorServer });
    const status = { state: "SYNCHRONIZING" as const, safety: record.safety, safetySequence: record.safetySequence, timeoutSeconds: record.timeoutSeconds, witnessUrl: null, witnessServer: null, suspended: false, suspendedSequence: 0, roleSequence: record.roleSequence, failoverLsn: lsnText(null) };
    const started = await service.request(connection, service.message<"start">(record.database, { type: "start", guid: record.guid, status }));
    if (!started?.ok) throw replyError(started, mirroringError(1418, url));
  } finally {
    connection.close();
  }
  const runtime = service.addRecord(record);
  // The statement returns with the partners connected, as SQL Server's does (the state then shows the catch-up).
  await service.waitUntil(() => service.connected(record, runtime));
  service.evaluateAll();
}

/** SAFETY / TIMEOUT: changed on both partners, so the mirror must take it (1456 otherwise, and nothing changes). */
async function changeSetting(service: MirroringSessions, record: PartnerRecord, runtime: PartnerRuntime, change: () => void): Promise<void> {
  if (!service.connected(record, runtime)) throw mirroringError(1456, record.partnerUrl);
  const before = { ...record };
  change();
  const reply = await service.request(runtime.link, service.message<"status">(record.database, { type: "status", guid: record.guid, status: service.statusOf(record, runtime) }));
  if (!reply?.ok) {
    Object.assign(record, before);
    throw replyError(reply, mirroringError(1456, record.partnerUrl));
  }
  runtime.pushed = undefined;
  service.save();
  service.evaluateAll();
}

/**
 * SET PARTNER FAILOVER: "valid only when the SAFETY setting is FULL" (1477); both partners connected
 * (1447) and the mirror caught up (1422). The principal's copy stops taking sessions first, so no
 * transaction commits after the LSN the mirror must reach.
 */
async function failover(service: MirroringSessions, record: PartnerRecord, runtime: PartnerRuntime): Promise<void> {
  if (record.safety !== "FULL") throw mirroringError(1477, record.database);
  if (!service.connected(record, runtime)) throw mirroringError(1447, record.database);
  if (service.stateOf(record, runtime) !== "SYNCHRONIZED") throw mirroringError(1422, record.database);
  const layer = service.engine.databases;
  service.markMirror(record.database);
  const lastLsn = lsnText(layer.get(record.database)?.lastLsn ?? null);
  const reply = await service.request(runtime.link, service.message<"failover">(record.database, { type: "failover", guid: record.guid, lastLsn }));
  if (!reply?.ok) {
    layer.setAccess(record.database, { kind: "readWrite" });
    layer.setState(record.database, "ONLINE");
    throw replyError(reply, mirroringError(1447, record.database));
  }
  const roleSequence = Number(reply.data?.["roleSequence"] ?? record.roleSequence + 1);
  service.demote(record, runtime, roleSequence);
  runtime.reported = "SYNCHRONIZED";
  runtime.wasSynchronized = true;
}

/**
 * SET WITNESS = 'TCP://…': a third instance (1429), reachable with ROLE WITNESS or ALL (1418), and
 * "all three server instances must be interconnected, and the mirror database must be caught up"
 * (1426).
 */
async function setWitness(service: MirroringSessions, record: PartnerRecord, runtime: PartnerRuntime, url: string): Promise<void> {
  try {
    parseEndpointUrl(url);
  } catch {
    throw mirroringError(1449);
  }
  if (same(url, service.ownUrl) || same(url, record.partnerUrl)) throw mirroringError(1429);
  if (same(url, record.witnessUrl)) return;
  if (!service.connected(record, runtime) || service.stateOf(record, runtime) === "SUSPENDED") throw mirroringError(1426);
  const attempt = await service.options.hadr.connect(url, { role: "partner", peerRole: "witness", timeoutMs: service.waitMs });
  if (!attempt.ok) throw mirroringError(1418, url);
  service.listen(attempt.connection);
  const previous = { witnessUrl: record.witnessUrl, witnessServer: record.witnessServer };
  if (runtime.witnessLink && previous.witnessUrl !== null) service.send(runtime.witnessLink, service.message<"witnessOff">(record.database, { type: "witnessOff", guid: record.guid }));
  const status = { ...service.statusOf(record, runtime), witnessUrl: url };
  let witnessServer: string;
  try {
    const registered = await service.request(
      attempt.connection,
      service.message<"status">(record.database, { type: "status", guid: record.guid, status, ...(record.partnerServer ? { mirrorServer: record.partnerServer } : {}), mirrorUrl: record.partnerUrl, familyGuid: record.familyGuid }),
    );
    if (!registered?.ok) throw replyError(registered, mirroringError(1426));
    witnessServer = registered.from;
  } finally {
    attempt.connection.close();
  }
  const undo = () => {
    const link = runtime.witnessLink;
    service.send(link, service.message<"witnessOff">(record.database, { type: "witnessOff", guid: record.guid }));
    Object.assign(record, previous);
    service.followWitness(record, runtime);
  };
  record.witnessUrl = url;
  record.witnessServer = witnessServer;
  service.followWitness(record, runtime);
  // The witness connects back to this partner, and the mirror to the witness (the mirror's reply waits for it).
  const joining = service.statusOf(record, runtime);
  const mirrorJoined = await service.request(runtime.link, service.message<"status">(record.database, { type: "status", guid: record.guid, status: joining }), service.waitMs * 2);
  if (!mirrorJoined?.ok || !(await service.waitUntil(() => service.witnessConnected(record, runtime)))) {
    undo();
    throw replyError(mirrorJoined, mirroringError(1426));
  }
  runtime.pushed = runtime.pushedToWitness = undefined;
  service.save();
  service.evaluateAll();
}

/** SET WITNESS OFF: 1439 without a witness. The mirror learns it now, or from the next status when it reconnects. */
async function witnessOff(service: MirroringSessions, record: PartnerRecord, runtime: PartnerRuntime): Promise<void> {
  if (record.witnessUrl === null) throw mirroringError(1439, record.database);
  service.send(runtime.witnessLink, service.message<"witnessOff">(record.database, { type: "witnessOff", guid: record.guid }));
  record.witnessUrl = null;
  record.witnessServer = null;
  service.followWitness(record, runtime);
  if (service.connected(record, runtime)) {
    await service.request(runtime.link, service.message<"status">(record.database, { type: "status", guid: record.guid, status: service.statusOf(record, runtime) }));
  }
  runtime.pushed = runtime.pushedToWitness = undefined;
  service.save();
  service.evaluateAll();
}
