/**
 * Syntax tree of the database layer's statements: database DDL, table DDL and DML, BACKUP and
 * RESTORE. Part of ast.ts's `StatementBody` union; parsed by parser/databases.ts.
 */
import type { Expr, TableRef } from "../ast";
import type { MirroringOption } from "../mirroring/options";
import type { RecoveryModel, TableColumnType } from "./model";

/** A column of CREATE TABLE as written. */
export interface ColumnSpec {
  name: string;
  type: TableColumnType;
  /** As written: NULL (true), NOT NULL (false), or nothing (undefined: nullable unless PRIMARY KEY). */
  nullable?: boolean;
  /** `[CONSTRAINT name] PRIMARY KEY` on the column. */
  primaryKey?: { name?: string };
  line: number;
}

/** BACKUP … WITH options (absent = not written). */
export interface BackupOptions {
  init?: boolean;
  format?: boolean;
  copyOnly?: boolean;
  compression?: boolean;
  checksum?: boolean;
  differential?: boolean;
  /** BACKUP LOG … WITH NORECOVERY: back up the tail and leave the database RESTORING. */
  noRecovery?: boolean;
  noTruncate?: boolean;
  name?: string;
  description?: string;
  mediaName?: string;
  mediaDescription?: string;
  /** STATS [= n]: a 3211 message every n percent (STATS alone: 10). */
  stats?: number;
}

/** RESTORE … WITH options (absent = not written). */
export interface RestoreOptions {
  /** RECOVERY (true, the default) or NORECOVERY (false). */
  recovery?: boolean;
  replace?: boolean;
  /** FILE = n: the backup set's position in the file (default 1). */
  file?: number;
  moves: Array<{ logicalName: string; physicalName: string }>;
  stats?: number;
  checksum?: boolean;
}

/** The database layer's statements (without the StatementBase fields). */
export type DatabaseStatementBody =
  | { kind: "createDatabase"; name: string }
  | { kind: "dropDatabase"; names: string[]; ifExists: boolean }
  /** `database` undefined: ALTER DATABASE CURRENT. */
  | { kind: "alterDatabase"; database?: string; set: { option: "RECOVERY"; value: RecoveryModel } }
  /** ALTER DATABASE … SET PARTNER / SET WITNESS (run by the mirroring layer); `database` undefined: CURRENT. */
  | { kind: "alterDatabaseMirroring"; database?: string; option: MirroringOption }
  | { kind: "createTable"; table: TableRef; columns: ColumnSpec[]; primaryKey?: { name?: string; columns: string[]; line: number } }
  | { kind: "dropTable"; tables: TableRef[]; ifExists: boolean }
  | { kind: "insert"; table: TableRef; columns?: string[]; rows: Expr[][] }
  | { kind: "update"; table: TableRef; assignments: Array<{ column: string; expr: Expr; line: number }>; where?: Expr }
  | { kind: "delete"; table: TableRef; where?: Expr }
  | { kind: "backup"; what: "DATABASE" | "LOG"; database: string; device: string; options: BackupOptions }
  | { kind: "restore"; what: "DATABASE" | "LOG"; database: string; device?: string; options: RestoreOptions }
  | { kind: "restoreInfo"; what: "VERIFYONLY" | "FILELISTONLY" | "HEADERONLY"; device: string; options: RestoreOptions };

/** The statement kinds above. */
export type DatabaseStatementKind = DatabaseStatementBody["kind"];

/** What `counters.statements` counts each kind as. */
export function databaseCounterName(body: DatabaseStatementBody): string {
  switch (body.kind) {
    case "createDatabase":
      return "CREATE DATABASE";
    case "dropDatabase":
      return "DROP DATABASE";
    case "alterDatabase":
    case "alterDatabaseMirroring":
      return "ALTER DATABASE";
    case "createTable":
      return "CREATE TABLE";
    case "dropTable":
      return "DROP TABLE";
    case "insert":
      return "INSERT";
    case "update":
      return "UPDATE";
    case "delete":
      return "DELETE";
    case "backup":
      return `BACKUP ${body.what}`;
    case "restore":
      return `RESTORE ${body.what}`;
    case "restoreInfo":
      return `RESTORE ${body.what}`;
  }
}

const KINDS: ReadonlySet<string> = new Set<DatabaseStatementKind>([
  "createDatabase",
  "dropDatabase",
  "alterDatabase",
  "alterDatabaseMirroring",
  "createTable",
  "dropTable",
  "insert",
  "update",
  "delete",
  "backup",
  "restore",
  "restoreInfo",
]);

/** True for the database layer's statements. */
export function isDatabaseStatement(body: { kind: string }): body is DatabaseStatementBody {
  return KINDS.has(body.kind);
}
