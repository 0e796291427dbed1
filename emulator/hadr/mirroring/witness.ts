/**
 * The witness side of database mirroring ("Database Mirroring Witness"): the sessions this instance
 * is witness of, the links it keeps back to both partners of each, and its answers — registration
 * by the principal (SET WITNESS, and every later report of the session's state), WITNESS OFF, and
 * the mirror's quorum question (does the witness still hear the principal?).
 */
import type { EndpointConnection, Link } from "../manager";
import { CHANNEL, type MirroringMessage } from "./messages";
import type { WitnessRecord } from "./records";
import type { MirroringSessions } from "./sessions";

const lower = (s: string) => s.toLowerCase();

/** See the module comment. */
export class WitnessRole {
  /** Links back to the partners, by lower-case URL. */
  private readonly backLinks = new Map<string, Link>();

  constructor(private readonly sessions: MirroringSessions) {}

  /** Handles a message that arrived on a connection addressed to this instance as a witness. */
  handle(message: MirroringMessage, connection: EndpointConnection): void {
    const sessions = this.sessions;
    switch (message.type) {
      case "status": {
        // "The witness server instance name must be distinct from both of the server instances that manage the database" (1429).
        if ([message.from, message.mirrorServer ?? ""].some((s) => lower(s) === lower(sessions.serverName))) {
          return sessions.reply(connection, message, false, { error: { number: 1429, args: [] } });
        }
        let record = sessions.state.witness.find((w) => w.guid === message.guid);
        const status = message.status;
        // An old principal's report (a lower role sequence) does not replace the current one; the reply tells it.
        if (!record || status.roleSequence >= record.roleSequence) {
          const next: WitnessRecord = {
            guid: message.guid,
            database: message.db,
            principalServer: message.from,
            principalUrl: message.fromUrl,
            mirrorServer: message.mirrorServer ?? record?.mirrorServer ?? "",
            mirrorUrl: message.mirrorUrl ?? record?.mirrorUrl ?? "",
            safety: status.safety,
            safetySequence: status.safetySequence,
            roleSequence: status.roleSequence,
            familyGuid: message.familyGuid ?? record?.familyGuid ?? "",
            suspended: status.suspended,
            suspendedSequence: status.suspendedSequence,
            synchronized: status.state === "SYNCHRONIZED",
          };
          if (record) Object.assign(record, next);
          else sessions.state.witness.push((record = next));
          sessions.save();
          this.follow(record);
        }
        return sessions.reply(connection, message, true, { data: { roleSequence: record.roleSequence } });
      }
      case "witnessOff": {
        sessions.state.witness = sessions.state.witness.filter((w) => w.guid !== message.guid);
        sessions.save();
        this.closeUnused();
        return sessions.reply(connection, message, true);
      }
      case "quorum": {
        const record = sessions.state.witness.find((w) => w.guid === message.guid);
        const link = record ? this.backLinks.get(lower(record.principalUrl)) : undefined;
        const principalConnected = sessions.hears(message.principalServer) && link?.connected === true;
        return sessions.reply(connection, message, true, { data: { principalConnected } });
      }
      default:
        return;
    }
  }

  /** Keeps a link to each partner of `record`'s session. */
  follow(record: WitnessRecord): void {
    if (!this.sessions.running) return;
    for (const url of [record.principalUrl, record.mirrorUrl]) {
      if (url === "" || this.backLinks.has(lower(url))) continue;
      const link = this.sessions.options.hadr.openLink(url, { role: "witness", peerRole: "partner", retry: { initialMs: 100, maxMs: 1000 } });
      link.onMessage((m, c) => m.channel === CHANNEL && this.sessions.dispatch(m.body, c));
      link.onState(() => this.sessions.evaluateAll());
      this.backLinks.set(lower(url), link);
    }
  }

  /** Closes the links no session needs any more. */
  private closeUnused(): void {
    const used = new Set(this.sessions.state.witness.flatMap((w) => [lower(w.principalUrl), lower(w.mirrorUrl)]));
    for (const [url, link] of this.backLinks) {
      if (used.has(url)) continue;
      link.close();
      this.backLinks.delete(url);
    }
  }

  /** Closes every link (the instance stops or restarts). */
  closeAll(): void {
    for (const link of this.backLinks.values()) link.close();
    this.backLinks.clear();
  }
}
