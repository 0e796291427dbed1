/**
 * Runs the database layer's statements for the session: database DDL, table DDL and DML, BACKUP
 * and RESTORE; compiles DML with its batch; and keeps master's security DDL in master (in another
 * database it would create per-database objects the emulator does not model: 50000).
 */
import type { StatementOutcome } from "../../results";
import type { Statement } from "../ast";
import type { CompiledBatch } from "../compile";
import type { ExecContext } from "../context";
import type { DatabaseStatementBody } from "../databases/ast";
import type { Scope } from "../evaluate";
import { fail } from "../errors";
import { executeBackup } from "./backup";
import { executeMirroringOption } from "../mirroring/execute";
import { executeAlterDatabase, executeCreateDatabase, executeDropDatabase } from "./databases";
import { executeRestore, executeRestoreInfo } from "./restore";
import { compileDml, executeCreateTable, executeDml, executeDropTable, type CompiledDml } from "./tables";

/** Compiles what the database layer compiles with the batch (INSERT, UPDATE, DELETE). */
export function compileDatabaseStatement(s: Statement, root: Scope): object | undefined {
  if (s.kind === "insert" || s.kind === "update" || s.kind === "delete") return compileDml(s, root);
  return undefined;
}

/** Runs one of the database layer's statements. */
export async function executeDatabaseStatement(ctx: ExecContext, s: Statement & DatabaseStatementBody, compiled: CompiledBatch): Promise<StatementOutcome[]> {
  switch (s.kind) {
    case "createDatabase":
      executeCreateDatabase(ctx, s);
      break;
    case "dropDatabase":
      executeDropDatabase(ctx, s);
      break;
    case "alterDatabase":
      executeAlterDatabase(ctx, s);
      break;
    case "alterDatabaseMirroring":
      await executeMirroringOption(ctx, s);
      break;
    case "createTable":
      executeCreateTable(ctx, s);
      break;
    case "dropTable":
      executeDropTable(ctx, s);
      break;
    case "insert":
    case "update":
    case "delete":
      return executeDml(ctx, compiled.statement<CompiledDml>(s));
    case "backup":
      await executeBackup(ctx, s);
      break;
    case "restore":
      await executeRestore(ctx, s);
      break;
    case "restoreInfo":
      return executeRestoreInfo(ctx, s);
  }
  return [{ kind: "done" }];
}

/** master's database-level security statements. */
const MASTER_ONLY = new Set([
  "createMasterKey", "alterMasterKey", "openMasterKey", "closeMasterKey", "dropMasterKey",
  "createCertificate", "alterCertificate", "backupCertificate", "dropCertificate", "createUser", "alterUser", "dropUser",
]);

/** Refuses master's security DDL while the session is in another database (50000). */
export function guardDatabaseScope(ctx: ExecContext, s: Statement): void {
  const certificateAuthorization = s.kind === "alterAuthorization" && s.objectClass === "CERTIFICATE";
  if ((MASTER_ONLY.has(s.kind) || certificateAuthorization) && ctx.session.database !== "master") {
    fail(50000, `${s.counterName} in a database other than master`);
  }
}
