/**
 * The database mirroring options of ALTER DATABASE, after `ALTER DATABASE name SET`
 * ("ALTER DATABASE Database Mirroring (Transact-SQL)"):
 *
 * ```sql
 * SET PARTNER { = 'partner_server' | FAILOVER | FORCE_SERVICE_ALLOW_DATA_LOSS | OFF | RESUME
 *             | SAFETY { FULL | OFF } | SUSPEND | TIMEOUT integer }
 * SET WITNESS { = 'witness_server' | OFF }
 * ```
 *
 * Only one option per statement (the page: "Only one <database_mirroring_option> is permitted per
 * ALTER DATABASE statement"), so a comma after it is a syntax error. Addresses are literals.
 */
import type { StatementBody } from "../ast";
import type { MirroringOption } from "../mirroring/options";
import type { TokenStream } from "./stream";

/** True when the tokens after SET start a mirroring option. */
export function isMirroringOption(s: TokenStream): boolean {
  return s.isWord("PARTNER") || s.isWord("WITNESS");
}

/** Parses one mirroring option (the stream is at PARTNER or WITNESS). `database` undefined: CURRENT. */
export function parseMirroringOption(s: TokenStream, database: string | undefined): StatementBody {
  const option = s.acceptWord("WITNESS") ? witnessOption(s) : (s.expectWord("PARTNER"), partnerOption(s));
  if (s.isOperator(",")) throw s.syntaxError();
  return { kind: "alterDatabaseMirroring", ...(database !== undefined ? { database } : {}), option };
}

function witnessOption(s: TokenStream): MirroringOption {
  if (s.acceptWord("OFF")) return { kind: "witnessOff" };
  return { kind: "witness", url: s.equalsString() };
}

function partnerOption(s: TokenStream): MirroringOption {
  if (s.isOperator("=")) return { kind: "partner", url: s.equalsString() };
  const word = s.expectOneOf("FAILOVER", "FORCE_SERVICE_ALLOW_DATA_LOSS", "OFF", "RESUME", "SAFETY", "SUSPEND", "TIMEOUT");
  switch (word) {
    case "FAILOVER":
      return { kind: "failover" };
    case "FORCE_SERVICE_ALLOW_DATA_LOSS":
      return { kind: "forceService" };
    case "OFF":
      return { kind: "off" };
    case "RESUME":
      return { kind: "resume" };
    case "SUSPEND":
      return { kind: "suspend" };
    case "SAFETY":
      return { kind: "safety", safety: s.expectOneOf("FULL", "OFF") };
    case "TIMEOUT":
      return { kind: "timeout", seconds: s.integer() };
  }
}
