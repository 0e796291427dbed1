/**
 * The database mirroring options of ALTER DATABASE ("ALTER DATABASE Database Mirroring
 * (Transact-SQL)"): one `<partner_option>` or `<witness_option>` per statement.
 */

/** Transaction safety: FULL (synchronous, high-safety mode) or OFF (asynchronous, high-performance mode). */
export type MirroringSafety = "FULL" | "OFF";

/** One `SET PARTNER …` / `SET WITNESS …` option as parsed. */
export type MirroringOption =
  /** `SET PARTNER = 'TCP://host:port'`: on the mirror first (naming the principal), then on the principal (naming the mirror). */
  | { kind: "partner"; url: string }
  /** `SET PARTNER FAILOVER`: a planned failover, on the principal. */
  | { kind: "failover" }
  /** `SET PARTNER FORCE_SERVICE_ALLOW_DATA_LOSS`: forced service on the mirror (outside the subset: 50000). */
  | { kind: "forceService" }
  /** `SET PARTNER OFF`: ends the session, on either partner. */
  | { kind: "off" }
  /** `SET PARTNER RESUME`, on the principal. */
  | { kind: "resume" }
  /** `SET PARTNER SUSPEND`, on either partner. */
  | { kind: "suspend" }
  /** `SET PARTNER SAFETY FULL | OFF`, on the principal. */
  | { kind: "safety"; safety: MirroringSafety }
  /** `SET PARTNER TIMEOUT n` (seconds), on the principal. */
  | { kind: "timeout"; seconds: number }
  /** `SET WITNESS = 'TCP://host:port'`, on the principal. */
  | { kind: "witness"; url: string }
  /** `SET WITNESS OFF`, on the principal. */
  | { kind: "witnessOff" };
