/**
 * Parsing of the database layer's statements:
 * CREATE / ALTER / DROP DATABASE, CREATE / DROP TABLE, INSERT, UPDATE, DELETE, BACKUP DATABASE / LOG
 * and RESTORE DATABASE / LOG / VERIFYONLY / FILELISTONLY / HEADERONLY. Names, paths and option values
 * must be literals (a variable is a syntax error, as elsewhere in the emulator's DDL); valid T-SQL
 * outside the subset is refused with 50000 naming the construct.
 */
import { parseSetHadr } from "./availabilityGroups";
import type { Expr, StatementBody, TableRef } from "../ast";
import { compileError } from "../errors";
import type { BackupOptions, ColumnSpec, RestoreOptions } from "../databases/ast";
import { columnTypeName } from "../databases/columnTypes";
import type { TableColumnType } from "../databases/model";
import type { Token } from "../lexer";
import { parseExpression } from "./expressions";
import type { TokenStream } from "./stream";

/** SQL Server's system type names the subset has no column type for (refused with 50000, not 2715). */
const OTHER_SYSTEM_TYPES = new Set([
  "binary", "char", "date", "datetimeoffset", "float", "geography", "geometry", "hierarchyid", "image", "money", "nchar", "ntext",
  "real", "smalldatetime", "smallmoney", "sql_variant", "text", "time", "timestamp", "rowversion", "xml", "json", "vector",
]);

/** `[db.][schema.]name` (also `db..name`). */
function parseObjectRef(s: TokenStream): TableRef {
  const line = s.peek().line;
  const parts = [s.name()];
  while (s.acceptOperator(".")) parts.push(s.isOperator(".") ? "" : s.name());
  if (parts.length > 3 || parts[parts.length - 1] === "") throw s.syntaxError();
  return { parts, line };
}

/** `CREATE DATABASE name [COLLATE SQL_Latin1_General_CP1_CI_AS]` (after CREATE). */
export function parseCreateDatabase(s: TokenStream): StatementBody {
  s.expectWord("DATABASE");
  const name = s.name();
  if (s.acceptWord("COLLATE")) {
    const collation = s.name();
    if (collation.toUpperCase() !== "SQL_LATIN1_GENERAL_CP1_CI_AS") throw s.unsupported(`CREATE DATABASE … COLLATE ${collation}`, s.previous().line);
  }
  for (const word of ["ON", "CONTAINMENT", "WITH", "AS", "LOG", "FOR"]) if (s.isWord(word)) throw s.unsupported(`CREATE DATABASE … ${word}`);
  return { kind: "createDatabase", name };
}

/** `DROP DATABASE [IF EXISTS] name [, …]` (after DROP). */
export function parseDropDatabase(s: TokenStream): StatementBody {
  s.expectWord("DATABASE");
  const ifExists = s.acceptWord("IF", "EXISTS");
  const names = [s.name()];
  while (s.acceptOperator(",")) names.push(s.name());
  return { kind: "dropDatabase", names, ifExists };
}

/**
 * `ALTER DATABASE { name | CURRENT } SET RECOVERY { FULL | SIMPLE | BULK_LOGGED }
 * [ WITH NO_WAIT | ROLLBACK IMMEDIATE | ROLLBACK AFTER n [SECONDS] ]` (after ALTER). Other options
 * (SET HADR, SET PARTNER, MODIFY …) are refused with 50000 until a layer implements them.
 */
export function parseAlterDatabase(s: TokenStream): StatementBody {
  s.expectWord("DATABASE");
  const database = s.acceptWord("CURRENT") ? undefined : s.name();
  if (!s.isWord("SET")) {
    const t = s.peek();
    if (t.kind !== "word") throw s.syntaxError();
    throw s.unsupported(`ALTER DATABASE … ${t.value.toUpperCase()}`);
  }
  s.next();
  const option = s.peek();
  if (option.kind !== "word") throw s.syntaxError();
  if (s.isWord("HADR")) return parseSetHadr(s, database);
  if (!s.isWord("RECOVERY")) throw s.unsupported(`ALTER DATABASE … SET ${option.value.toUpperCase()}`);
  s.next();
  const value = s.expectOneOf("FULL", "SIMPLE", "BULK_LOGGED");
  if (s.acceptOperator(",")) throw s.unsupported("ALTER DATABASE … SET with several options");
  if (s.acceptWord("WITH")) {
    if (!s.acceptWord("NO_WAIT")) {
      s.expectWord("ROLLBACK");
      if (!s.acceptWord("IMMEDIATE")) {
        s.expectWord("AFTER");
        s.integer();
        s.acceptWord("SECONDS");
      }
    }
  }
  return { kind: "alterDatabase", ...(database !== undefined ? { database } : {}), set: { option: "RECOVERY", value } };
}

/** A column type as written in CREATE TABLE; `position` is the column's 1-based number (2715). */
function parseColumnType(s: TokenStream, position: number): TableColumnType {
  const t = s.peek();
  const written = s.name();
  const lower = written.toLowerCase();
  if (lower === "sysname") return { name: "nvarchar", length: 128 };
  const name = columnTypeName(lower);
  if (!name) {
    if (OTHER_SYSTEM_TYPES.has(lower)) throw s.unsupported(`column type ${lower}`, t.line);
    throw compileError(2715, t.line, position, written);
  }
  const args: Array<number | "max"> = [];
  if (s.acceptOperator("(")) {
    do args.push(s.acceptWord("MAX") ? "max" : s.integer());
    while (s.acceptOperator(","));
    s.expectOperator(")");
  }
  switch (name) {
    case "nvarchar":
    case "varchar":
    case "varbinary": {
      if (args.length > 1) throw s.syntaxError(t);
      const length = args[0] ?? 1;
      const limit = name === "nvarchar" ? 4000 : 8000;
      if (length !== "max" && (length < 1 || length > limit)) throw compileError(131, t.line, length, "column", "", 8000);
      return { name, length };
    }
    case "decimal": {
      if (args.includes("max") || args.length > 2) throw s.syntaxError(t);
      const precision = (args[0] as number | undefined) ?? 18;
      const scale = (args[1] as number | undefined) ?? 0;
      if (precision < 1 || precision > 38) throw compileError(2750, t.line, position, precision, 38);
      if (scale > precision) throw compileError(183, t.line, scale, "", 0, precision);
      return { name, precision, scale };
    }
    case "datetime2":
      // The fractional-seconds precision is accepted; values keep milliseconds.
      if (args.length > 1 || args.includes("max") || (args[0] as number) > 7) throw s.syntaxError(t);
      return { name };
    default:
      if (args.length) throw s.syntaxError(t);
      return { name };
  }
}

/** Column constraints the subset refuses. */
const REFUSED_COLUMN_WORDS = ["IDENTITY", "DEFAULT", "COLLATE", "UNIQUE", "CHECK", "REFERENCES", "FOREIGN", "ROWGUIDCOL", "SPARSE", "MASKED", "GENERATED", "INDEX", "FILESTREAM"];

function parsePrimaryKeyKind(s: TokenStream): void {
  if (!s.acceptWord("CLUSTERED")) s.acceptWord("NONCLUSTERED");
}

/** `name type [NULL | NOT NULL] [[CONSTRAINT c] PRIMARY KEY [CLUSTERED | NONCLUSTERED]]` in any order. */
function parseColumnSpec(s: TokenStream, position: number): ColumnSpec {
  const line = s.peek().line;
  const name = s.name();
  const type = parseColumnType(s, position);
  const spec: ColumnSpec = { name, type, line };
  for (;;) {
    if (s.isWords("NOT", "NULL")) {
      s.next();
      s.next();
      spec.nullable = false;
    } else if (s.acceptWord("NULL")) spec.nullable = true;
    else if (s.isWord("CONSTRAINT") || s.isWord("PRIMARY")) {
      let constraint: string | undefined;
      if (s.acceptWord("CONSTRAINT")) constraint = s.name();
      if (!s.isWord("PRIMARY")) {
        const t = s.peek();
        if (t.kind === "word") throw s.unsupported(`CREATE TABLE … ${t.value.toUpperCase()} constraint`);
        throw s.syntaxError();
      }
      s.expectWord("PRIMARY", "KEY");
      parsePrimaryKeyKind(s);
      spec.primaryKey = constraint !== undefined ? { name: constraint } : {};
    } else {
      const refused = REFUSED_COLUMN_WORDS.find((w) => s.isWord(w));
      if (refused) throw s.unsupported(`CREATE TABLE … ${refused}`);
      return spec;
    }
  }
}

/** `CREATE TABLE [db.][schema.]name ( column | [CONSTRAINT c] PRIMARY KEY (columns) , … )` (after CREATE). */
export function parseCreateTable(s: TokenStream): StatementBody {
  s.expectWord("TABLE");
  const table = parseObjectRef(s);
  s.expectOperator("(");
  const columns: ColumnSpec[] = [];
  let primaryKey: { name?: string; columns: string[]; line: number } | undefined;
  do {
    if (s.isWord("CONSTRAINT") || s.isWord("PRIMARY")) {
      const line = s.peek().line;
      let constraint: string | undefined;
      if (s.acceptWord("CONSTRAINT")) constraint = s.name();
      if (!s.isWord("PRIMARY")) {
        const t = s.peek();
        if (t.kind === "word") throw s.unsupported(`CREATE TABLE … ${t.value.toUpperCase()} constraint`);
        throw s.syntaxError();
      }
      s.expectWord("PRIMARY", "KEY");
      parsePrimaryKeyKind(s);
      s.expectOperator("(");
      const keyColumns: string[] = [];
      do {
        keyColumns.push(s.name());
        if (!s.acceptWord("ASC") && s.acceptWord("DESC")) throw s.unsupported("a descending PRIMARY KEY column", s.previous().line);
      } while (s.acceptOperator(","));
      s.expectOperator(")");
      if (primaryKey) throw compileError(8110, line, table.parts[table.parts.length - 1]!);
      primaryKey = { ...(constraint !== undefined ? { name: constraint } : {}), columns: keyColumns, line };
    } else if (["UNIQUE", "FOREIGN", "CHECK", "INDEX"].some((w) => s.isWord(w))) {
      throw s.unsupported(`CREATE TABLE … ${s.peek().value.toUpperCase()}`);
    } else columns.push(parseColumnSpec(s, columns.length + 1));
  } while (s.acceptOperator(","));
  s.expectOperator(")");
  for (const word of ["ON", "WITH", "TEXTIMAGE_ON", "FILESTREAM_ON", "AS"]) if (s.isWord(word)) throw s.unsupported(`CREATE TABLE … ${word}`);
  return { kind: "createTable", table, columns, ...(primaryKey ? { primaryKey } : {}) };
}

/** `DROP TABLE [IF EXISTS] name [, …]` (after DROP). */
export function parseDropTable(s: TokenStream): StatementBody {
  s.expectWord("TABLE");
  const ifExists = s.acceptWord("IF", "EXISTS");
  const tables = [parseObjectRef(s)];
  while (s.acceptOperator(",")) tables.push(parseObjectRef(s));
  return { kind: "dropTable", tables, ifExists };
}

/** `INSERT [INTO] name [(columns)] VALUES (…) [, (…)]`. */
export function parseInsert(s: TokenStream): StatementBody {
  s.expectWord("INSERT");
  if (s.isWord("TOP")) throw s.unsupported("INSERT TOP");
  s.acceptWord("INTO");
  const table = parseObjectRef(s);
  let columns: string[] | undefined;
  if (s.acceptOperator("(")) {
    columns = [s.name()];
    while (s.acceptOperator(",")) columns.push(s.name());
    s.expectOperator(")");
  }
  if (s.isWord("OUTPUT")) throw s.unsupported("INSERT … OUTPUT");
  if (s.isWords("DEFAULT", "VALUES")) throw s.unsupported("INSERT … DEFAULT VALUES");
  if (s.isWord("SELECT") || s.isWord("EXEC") || s.isWord("EXECUTE") || s.isWord("WITH")) throw s.unsupported(`INSERT … ${s.peek().value.toUpperCase()}`);
  s.expectWord("VALUES");
  const rows: Expr[][] = [];
  do {
    s.expectOperator("(");
    const row: Expr[] = [];
    do {
      if (s.isWord("DEFAULT")) throw s.unsupported("DEFAULT in VALUES");
      row.push(parseExpression(s));
    } while (s.acceptOperator(","));
    s.expectOperator(")");
    rows.push(row);
  } while (s.acceptOperator(","));
  return { kind: "insert", table, ...(columns ? { columns } : {}), rows };
}

/** `UPDATE name SET column = expr [, …] [WHERE condition]`. */
export function parseUpdate(s: TokenStream): StatementBody {
  s.expectWord("UPDATE");
  if (s.isWord("TOP")) throw s.unsupported("UPDATE TOP");
  const table = parseObjectRef(s);
  s.expectWord("SET");
  const assignments: Array<{ column: string; expr: Expr; line: number }> = [];
  do {
    const t = s.peek();
    if (t.kind === "variable") throw s.unsupported("UPDATE … SET @variable");
    const parts = [s.name()];
    while (s.acceptOperator(".")) parts.push(s.name());
    if (parts.length > 2) throw s.syntaxError(t);
    if (!s.acceptOperator("=")) {
      if (s.peek().kind === "operator" && /^[+-]=$/.test(s.peek().value)) throw s.unsupported("compound assignment in UPDATE … SET");
      throw s.syntaxError();
    }
    assignments.push({ column: parts[parts.length - 1]!, expr: parseExpression(s), line: t.line });
  } while (s.acceptOperator(","));
  if (s.isWord("FROM") || s.isWord("OUTPUT")) throw s.unsupported(`UPDATE … ${s.peek().value.toUpperCase()}`);
  const where = s.acceptWord("WHERE") ? parseExpression(s) : undefined;
  return { kind: "update", table, assignments, ...(where ? { where } : {}) };
}

/** `DELETE [FROM] name [WHERE condition]`. */
export function parseDelete(s: TokenStream): StatementBody {
  s.expectWord("DELETE");
  if (s.isWord("TOP")) throw s.unsupported("DELETE TOP");
  s.acceptWord("FROM");
  const table = parseObjectRef(s);
  if (s.isWord("FROM") || s.isWord("OUTPUT")) throw s.unsupported(`DELETE … ${s.peek().value.toUpperCase()}`);
  const where = s.acceptWord("WHERE") ? parseExpression(s) : undefined;
  return { kind: "delete", table, ...(where ? { where } : {}) };
}

/** `TO DISK = 'path'` / `FROM DISK = 'path'` (one device; other device kinds and striping are refused). */
function parseDevice(s: TokenStream, verb: "TO" | "FROM"): string {
  s.expectWord(verb);
  if (!s.isWord("DISK")) {
    const t = s.peek();
    if (t.kind === "word" && ["URL", "TAPE"].includes(t.value.toUpperCase())) throw s.unsupported(`${verb} ${t.value.toUpperCase()}`);
    if (s.isName()) throw s.unsupported("a logical backup device");
    throw s.syntaxError();
  }
  s.next();
  const device = s.equalsString();
  if (s.isOperator(",")) throw s.unsupported("a striped backup (several devices)");
  if (s.isWords("MIRROR", "TO")) throw s.unsupported("MIRROR TO");
  return device;
}

/** `= n` or nothing (STATS alone means 10). */
function parseStats(s: TokenStream): number {
  if (!s.acceptOperator("=")) return 10;
  return s.integer();
}

/** What a WITH list accepts besides its own options: options without effect, and options outside the subset. */
interface WithListRules {
  /** Accepted and ignored. */
  flags: ReadonlySet<string>;
  /** `= n`, accepted and ignored. */
  numbers: ReadonlySet<string>;
  /** Valid T-SQL outside the subset: 50000. */
  refused: ReadonlySet<string>;
}

/** `WITH option [, …]`: `own` consumes an option it knows (returning true); the rest follows `rules`. */
function parseWithList(s: TokenStream, statement: string, rules: WithListRules, own: (word: string, t: Token) => boolean): void {
  if (!s.acceptWord("WITH")) return;
  do {
    const t = s.peek();
    if (t.kind !== "word") throw s.syntaxError();
    const word = t.value.toUpperCase();
    s.next();
    if (own(word, t) || rules.flags.has(word)) continue;
    if (rules.numbers.has(word)) {
      s.expectOperator("=");
      s.integer();
      continue;
    }
    if (rules.refused.has(word)) throw s.unsupported(`${statement} … WITH ${word}`, t.line);
    throw s.syntaxError(t);
  } while (s.acceptOperator(","));
}

const BACKUP_RULES: WithListRules = {
  flags: new Set(["NOINIT", "NOFORMAT", "SKIP", "NOSKIP", "NOUNLOAD", "UNLOAD", "REWIND", "NOREWIND", "STOP_ON_ERROR", "CONTINUE_AFTER_ERROR", "NO_COMPRESSION", "NO_CHECKSUM"]),
  numbers: new Set(["BLOCKSIZE", "BUFFERCOUNT", "MAXTRANSFERSIZE", "RETAINDAYS"]),
  refused: new Set(["ENCRYPTION", "STANDBY", "PASSWORD", "MEDIAPASSWORD", "CREDENTIAL", "FILE_SNAPSHOT", "METADATA_ONLY", "SNAPSHOT"]),
};

/** `BACKUP { DATABASE | LOG } name TO DISK = 'path' [WITH …]` (after BACKUP). */
export function parseBackup(s: TokenStream): StatementBody {
  const what = s.expectOneOf("DATABASE", "LOG");
  const database = s.name();
  if (s.isWord("FILE") || s.isWord("FILEGROUP") || s.isWord("READ_WRITE_FILEGROUPS")) throw s.unsupported(`BACKUP ${what} … ${s.peek().value.toUpperCase()}`);
  const device = parseDevice(s, "TO");
  const options: BackupOptions = {};
  parseWithList(s, "BACKUP", BACKUP_RULES, (word, t) => {
    switch (word) {
      case "INIT":
        options.init = true;
        return true;
      case "FORMAT":
        options.format = true;
        return true;
      case "COPY_ONLY":
        options.copyOnly = true;
        return true;
      case "COMPRESSION":
        options.compression = true;
        return true;
      case "CHECKSUM":
        options.checksum = true;
        return true;
      case "DIFFERENTIAL":
        if (what === "LOG") throw s.syntaxError(t);
        options.differential = true;
        return true;
      case "NORECOVERY":
        if (what === "DATABASE") throw s.syntaxError(t);
        options.noRecovery = true;
        return true;
      case "NO_TRUNCATE":
        if (what === "DATABASE") throw s.syntaxError(t);
        options.noTruncate = true;
        return true;
      case "NAME":
        options.name = s.equalsString();
        return true;
      case "DESCRIPTION":
        options.description = s.equalsString();
        return true;
      case "MEDIANAME":
        options.mediaName = s.equalsString();
        return true;
      case "MEDIADESCRIPTION":
        options.mediaDescription = s.equalsString();
        return true;
      case "STATS":
        options.stats = parseStats(s);
        return true;
      case "EXPIREDATE":
        s.equalsString();
        return true;
      default:
        return false;
    }
  });
  return { kind: "backup", what, database, device, options };
}

const RESTORE_RULES: WithListRules = {
  flags: new Set(["NOUNLOAD", "UNLOAD", "REWIND", "NOREWIND", "NO_CHECKSUM", "STOP_ON_ERROR", "CONTINUE_AFTER_ERROR", "KEEP_CDC"]),
  numbers: new Set(["BLOCKSIZE", "BUFFERCOUNT", "MAXTRANSFERSIZE"]),
  refused: new Set([
    "STANDBY", "STOPAT", "STOPATMARK", "STOPBEFOREMARK", "PARTIAL", "RESTART", "RESTRICTED_USER", "KEEP_REPLICATION", "ENABLE_BROKER", "ERROR_BROKER_CONVERSATIONS",
    "NEW_BROKER", "PASSWORD", "MEDIAPASSWORD", "CREDENTIAL", "LOADHISTORY", "MEDIANAME", "FILESTREAM", "METADATA_ONLY", "SNAPSHOT", "DBNAME",
  ]),
};

function parseRestoreOptions(s: TokenStream): RestoreOptions {
  const options: RestoreOptions = { moves: [] };
  parseWithList(s, "RESTORE", RESTORE_RULES, (word) => {
    switch (word) {
      case "RECOVERY":
        options.recovery = true;
        return true;
      case "NORECOVERY":
        options.recovery = false;
        return true;
      case "REPLACE":
        options.replace = true;
        return true;
      case "FILE":
        s.expectOperator("=");
        options.file = s.integer();
        return true;
      case "MOVE": {
        const logicalName = s.string();
        s.expectWord("TO");
        options.moves.push({ logicalName, physicalName: s.string() });
        return true;
      }
      case "STATS":
        options.stats = parseStats(s);
        return true;
      case "CHECKSUM":
        options.checksum = true;
        return true;
      default:
        return false;
    }
  });
  return options;
}

/** `RESTORE { DATABASE | LOG } name [FROM DISK = 'path'] [WITH …]` or `RESTORE VERIFYONLY | FILELISTONLY | HEADERONLY FROM …` (after RESTORE). */
export function parseRestore(s: TokenStream): StatementBody {
  s.expectWord("RESTORE");
  const t = s.peek();
  if (s.isWord("VERIFYONLY") || s.isWord("FILELISTONLY") || s.isWord("HEADERONLY")) {
    const what = t.value.toUpperCase() as "VERIFYONLY" | "FILELISTONLY" | "HEADERONLY";
    s.next();
    const device = parseDevice(s, "FROM");
    return { kind: "restoreInfo", what, device, options: parseRestoreOptions(s) };
  }
  if (s.isWord("LABELONLY") || s.isWord("REWINDONLY") || s.isWord("FILEGROUP")) throw s.unsupported(`RESTORE ${t.value.toUpperCase()}`);
  const what = s.expectOneOf("DATABASE", "LOG");
  const database = s.name();
  if (s.isWord("FILE") || s.isWord("FILEGROUP") || s.isWord("PAGE") || s.isWord("READ_WRITE_FILEGROUPS")) throw s.unsupported(`RESTORE ${what} … ${s.peek().value.toUpperCase()}`);
  if (s.isWords("FROM", "DATABASE_SNAPSHOT")) throw s.unsupported("RESTORE … FROM DATABASE_SNAPSHOT");
  const device = s.isWord("FROM") ? parseDevice(s, "FROM") : undefined;
  const options = parseRestoreOptions(s);
  if (device === undefined && what === "LOG" && !options.recovery) throw s.syntaxError(s.previous());
  return { kind: "restore", what, database, ...(device !== undefined ? { device } : {}), options };
}
