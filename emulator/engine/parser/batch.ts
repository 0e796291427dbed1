/**
 * Parses a whole batch into statements. Statements may be separated by `;` or just whitespace, as in
 * T-SQL. Anything that is not T-SQL is a syntax error (102 / 156); T-SQL outside the emulator's subset
 * is refused with 50000 "… is not supported by the emulator". Either way nothing in the batch runs.
 */
import type { Expr, Statement, StatementBody, TypeName } from "../ast";
import { compileError } from "../errors";
import { tokenize, type LexerOptions } from "../lexer";
import { databaseCounterName, isDatabaseStatement } from "../databases/ast";
import { availabilityGroupCounterName, isAvailabilityGroupStatement } from "../availabilityGroups/ast";
import { parseAlterAvailabilityGroup, parseCreateAvailabilityGroup, parseDropAvailabilityGroup } from "./availabilityGroups";
import { parseAlterDatabase, parseBackup, parseCreateDatabase, parseCreateTable, parseDelete, parseDropDatabase, parseDropTable, parseInsert, parseRestore, parseUpdate } from "./databases";
import { parseExpression, parseSelect, parseTypeName } from "./expressions";
import { parseAlterEndpoint, parseCreateEndpoint } from "./endpoints";
import { parseAlterLogin, parseAlterUser, parseCreateLogin, parseCreateUser, parseDropUser, parsePermission } from "./principals";
import {
  parseAlterAuthorization,
  parseAlterCertificate,
  parseAlterMasterKey,
  parseBackupCertificate,
  parseCreateCertificate,
  parseCreateMasterKey,
  parseOpenMasterKey,
} from "./security";
import { TokenStream } from "./stream";

/** SET options accepted with ON / OFF. */
const ON_OFF_OPTIONS = new Set([
  "ANSI_NULLS",
  "ANSI_NULL_DFLT_ON",
  "ANSI_NULL_DFLT_OFF",
  "ANSI_PADDING",
  "ANSI_WARNINGS",
  "ANSI_DEFAULTS",
  "ARITHABORT",
  "ARITHIGNORE",
  "CONCAT_NULL_YIELDS_NULL",
  "CURSOR_CLOSE_ON_COMMIT",
  "IMPLICIT_TRANSACTIONS",
  "NOCOUNT",
  "NUMERIC_ROUNDABORT",
  "QUOTED_IDENTIFIER",
  "XACT_ABORT",
  "FMTONLY",
  "NOEXEC",
]);

/** SET options taking a number. */
const NUMBER_OPTIONS = new Set(["TEXTSIZE", "DATEFIRST", "LOCK_TIMEOUT", "ROWCOUNT"]);

/** Statements SQL Server has and the emulator does not (refused with 50000 rather than 102). */
const KNOWN_UNSUPPORTED = new Set([
  "MERGE", "TRUNCATE", "WHILE", "RETURN", "RAISERROR", "THROW", "WAITFOR", "DBCC", "KILL",
  "CHECKPOINT", "RECONFIGURE", "GOTO", "BREAK", "CONTINUE", "SAVE", "DEALLOCATE", "FETCH", "REVERT", "SETUSER", "SHUTDOWN",
  "BULK", "READTEXT", "WRITETEXT", "UPDATETEXT", "WITH", "ENABLE", "DISABLE", "RECEIVE", "SEND", "MOVE", "GET",
]);

/** Parses `sql`; throws a batch-level SqlError when the batch does not parse. */
export function parseBatch(sql: string, options: LexerOptions = {}): Statement[] {
  const s = new TokenStream(tokenize(sql, options), sql);
  const statements: Statement[] = [];
  while (!s.atEnd()) {
    if (s.acceptOperator(";")) continue;
    // A batch may start with a procedure name alone: T-SQL runs it as if EXEC preceded it.
    if (statements.length === 0 && s.isName() && s.peek().kind === "word" && !KNOWN_UNSUPPORTED.has(s.peek().value.toUpperCase())) {
      const first = s.peek();
      const start = s.offset();
      const body = parseProcedureCall(s);
      statements.push({ ...body, line: first.line, text: sql.slice(start, s.endOffset()), counterName: "EXECUTE" });
      continue;
    }
    statements.push(parseStatement(s));
  }
  return statements;
}

function counterName(body: StatementBody): string {
  if (isDatabaseStatement(body)) return databaseCounterName(body);
  if (isAvailabilityGroupStatement(body)) return availabilityGroupCounterName(body);
  switch (body.kind) {
    case "select": return "SELECT";
    case "use": return "USE";
    case "set": case "setVariable": return "SET";
    case "declare": return "DECLARE";
    case "if": return "IF";
    case "block": return "BEGIN…END";
    case "exec": case "execProcedure": return "EXECUTE";
    case "print": return "PRINT";
    case "beginTransaction": return "BEGIN TRANSACTION";
    case "commit": return "COMMIT TRANSACTION";
    case "rollback": return "ROLLBACK TRANSACTION";
    case "createMasterKey": return "CREATE MASTER KEY";
    case "alterMasterKey": return "ALTER MASTER KEY";
    case "openMasterKey": return "OPEN MASTER KEY";
    case "closeMasterKey": return "CLOSE MASTER KEY";
    case "dropMasterKey": return "DROP MASTER KEY";
    case "createCertificate": return "CREATE CERTIFICATE";
    case "alterCertificate": return "ALTER CERTIFICATE";
    case "backupCertificate": return "BACKUP CERTIFICATE";
    case "dropCertificate": return "DROP CERTIFICATE";
    case "alterAuthorization": return "ALTER AUTHORIZATION";
    case "createEndpoint": return "CREATE ENDPOINT";
    case "alterEndpoint": return "ALTER ENDPOINT";
    case "dropEndpoint": return "DROP ENDPOINT";
    case "createLogin": return "CREATE LOGIN";
    case "alterLogin": return "ALTER LOGIN";
    case "dropLogin": return "DROP LOGIN";
    case "createUser": return "CREATE USER";
    case "alterUser": return "ALTER USER";
    case "dropUser": return "DROP USER";
    case "permission": return body.action;
  }
}

function parseStatement(s: TokenStream): Statement {
  const first = s.peek();
  const start = s.offset();
  const body = parseStatementBody(s);
  return { ...body, line: first.line, text: s.sql.slice(start, s.endOffset()), counterName: counterName(body) } as Statement;
}

/** Two-word name of a CREATE/ALTER/DROP target for the "not supported" message, e.g. `CREATE TABLE`. */
function unsupportedTarget(s: TokenStream, verb: string): never {
  const t = s.peek();
  if (t.kind !== "word") throw s.syntaxError();
  const what = [t.value.toUpperCase()];
  const two = ["SYMMETRIC", "ASYMMETRIC", "SERVER", "AVAILABILITY", "EVENT", "SERVICE", "APPLICATION", "COLUMN", "EXTERNAL", "FULLTEXT", "PARTITION", "SECURITY", "CRYPTOGRAPHIC", "REMOTE", "RESOURCE", "WORKLOAD"];
  if (two.includes(what[0]!) && s.peek(1).kind === "word") what.push(s.peek(1).value.toUpperCase());
  throw s.unsupported(`${verb} ${what.join(" ")}`, t.line);
}

function parseStatementBody(s: TokenStream): StatementBody {
  const t = s.peek();
  if (t.kind !== "word") throw s.syntaxError();
  const word = t.value.toUpperCase();
  switch (word) {
    case "SELECT":
      return parseSelect(s);
    case "USE":
      s.next();
      return { kind: "use", database: s.name() };
    case "SET":
      return parseSet(s);
    case "DECLARE":
      return parseDeclare(s);
    case "IF":
      return parseIf(s);
    case "BEGIN":
      return parseBegin(s);
    case "COMMIT":
      s.next();
      if (!s.acceptWord("WORK") && (s.acceptWord("TRAN") || s.acceptWord("TRANSACTION")) && s.isName() && !isStatementStart(s)) s.next();
      return { kind: "commit" };
    case "ROLLBACK":
      s.next();
      if (!s.acceptWord("WORK") && (s.acceptWord("TRAN") || s.acceptWord("TRANSACTION")) && s.isName() && !isStatementStart(s)) s.next();
      return { kind: "rollback" };
    case "EXEC":
    case "EXECUTE":
      return parseExec(s);
    case "PRINT":
      s.next();
      return { kind: "print", expr: parseExpression(s) };
    case "CREATE":
      return parseCreate(s);
    case "ALTER":
      return parseAlter(s);
    case "DROP":
      return parseDrop(s);
    case "OPEN":
      s.next();
      if (!s.acceptWord("MASTER", "KEY")) unsupportedTarget(s, "OPEN");
      return parseOpenMasterKey(s);
    case "CLOSE":
      s.next();
      if (!s.acceptWord("MASTER", "KEY")) unsupportedTarget(s, "CLOSE");
      return { kind: "closeMasterKey" };
    case "BACKUP":
      s.next();
      if (s.isWord("DATABASE") || s.isWord("LOG")) return parseBackup(s);
      if (!s.acceptWord("CERTIFICATE")) unsupportedTarget(s, "BACKUP");
      return parseBackupCertificate(s);
    case "RESTORE":
      return parseRestore(s);
    case "INSERT":
      return parseInsert(s);
    case "UPDATE":
      return parseUpdate(s);
    case "DELETE":
      return parseDelete(s);
    case "GRANT":
    case "DENY":
    case "REVOKE":
      return parsePermission(s);
    default:
      if (KNOWN_UNSUPPORTED.has(word)) throw s.unsupported(word);
      throw s.syntaxError();
  }
}

/** True when the current word begins a new statement (so it is not a transaction name). */
function isStatementStart(s: TokenStream): boolean {
  return s.peek().kind === "word" && /^(SELECT|USE|SET|DECLARE|IF|BEGIN|COMMIT|ROLLBACK|EXEC|EXECUTE|PRINT|CREATE|ALTER|DROP|OPEN|CLOSE|BACKUP|RESTORE|INSERT|UPDATE|DELETE|GRANT|DENY|REVOKE)$/i.test(s.peek().value);
}

function parseCreate(s: TokenStream): StatementBody {
  s.expectWord("CREATE");
  if (s.acceptWord("MASTER", "KEY")) return parseCreateMasterKey(s);
  if (s.acceptWord("CERTIFICATE")) return parseCreateCertificate(s);
  if (s.acceptWord("ENDPOINT")) return parseCreateEndpoint(s);
  if (s.acceptWord("LOGIN")) return parseCreateLogin(s);
  if (s.acceptWord("USER")) return parseCreateUser(s);
  if (s.isWord("DATABASE")) return parseCreateDatabase(s);
  if (s.isWord("TABLE")) return parseCreateTable(s);
  if (s.isWords("AVAILABILITY", "GROUP")) return parseCreateAvailabilityGroup(s);
  return unsupportedTarget(s, "CREATE");
}

function parseAlter(s: TokenStream): StatementBody {
  s.expectWord("ALTER");
  if (s.acceptWord("MASTER", "KEY")) return parseAlterMasterKey(s);
  if (s.acceptWord("CERTIFICATE")) return parseAlterCertificate(s);
  if (s.acceptWord("ENDPOINT")) return parseAlterEndpoint(s);
  if (s.acceptWord("LOGIN")) return parseAlterLogin(s);
  if (s.acceptWord("USER")) return parseAlterUser(s);
  if (s.acceptWord("AUTHORIZATION")) return parseAlterAuthorization(s);
  if (s.isWord("DATABASE")) return parseAlterDatabase(s);
  if (s.isWords("AVAILABILITY", "GROUP")) return parseAlterAvailabilityGroup(s);
  return unsupportedTarget(s, "ALTER");
}

function parseDrop(s: TokenStream): StatementBody {
  s.expectWord("DROP");
  if (s.acceptWord("MASTER", "KEY")) return { kind: "dropMasterKey" };
  if (s.acceptWord("CERTIFICATE")) return { kind: "dropCertificate", name: s.name() };
  if (s.acceptWord("ENDPOINT")) return { kind: "dropEndpoint", name: s.name() };
  if (s.acceptWord("LOGIN")) return { kind: "dropLogin", name: s.name() };
  if (s.acceptWord("USER")) return parseDropUser(s);
  if (s.isWord("DATABASE")) return parseDropDatabase(s);
  if (s.isWord("TABLE")) return parseDropTable(s);
  if (s.isWords("AVAILABILITY", "GROUP")) return parseDropAvailabilityGroup(s);
  return unsupportedTarget(s, "DROP");
}

function parseSet(s: TokenStream): StatementBody {
  s.expectWord("SET");
  const t = s.peek();
  if (t.kind === "variable") {
    s.next();
    if (!s.acceptOperator("=")) {
      if (s.peek().kind === "operator" && /^[+-]=$/.test(s.peek().value)) throw s.unsupported("SET @variable += …");
      throw s.syntaxError();
    }
    return { kind: "setVariable", name: t.value, expr: parseExpression(s) };
  }
  if (t.kind !== "word") throw s.syntaxError();
  const option = t.value.toUpperCase();
  s.next();
  if (option === "TRANSACTION") {
    s.expectWord("ISOLATION", "LEVEL");
    let level: string;
    if (s.acceptWord("READ")) level = `READ ${s.expectOneOf("COMMITTED", "UNCOMMITTED")}`;
    else if (s.acceptWord("REPEATABLE", "READ")) level = "REPEATABLE READ";
    else level = s.expectOneOf("SNAPSHOT", "SERIALIZABLE");
    return { kind: "set", option: "TRANSACTION ISOLATION LEVEL", value: level };
  }
  if (option === "STATISTICS") {
    s.expectOneOf("IO", "TIME", "PROFILE", "XML");
    s.expectOneOf("ON", "OFF");
    throw s.unsupported("SET STATISTICS", t.line);
  }
  if (ON_OFF_OPTIONS.has(option)) return { kind: "set", option, value: s.expectOneOf("ON", "OFF") };
  if (NUMBER_OPTIONS.has(option)) {
    const negative = s.acceptOperator("-");
    const n = s.integer();
    return { kind: "set", option, value: negative ? -n : n };
  }
  if (option === "LANGUAGE" || option === "DATEFORMAT" || option === "DEADLOCK_PRIORITY") {
    const v = s.peek();
    if (v.kind === "string" || v.kind === "word" || v.kind === "quoted") {
      s.next();
      return { kind: "set", option, value: v.value };
    }
    if (option === "DEADLOCK_PRIORITY" && v.kind === "number") return { kind: "set", option, value: s.integer() };
    throw s.syntaxError();
  }
  throw compileError(195, t.line, t.value, "SET option");
}

function parseDeclare(s: TokenStream): StatementBody {
  s.expectWord("DECLARE");
  const variables: Array<{ name: string; type: TypeName; init?: Expr }> = [];
  do {
    const t = s.peek();
    if (t.kind !== "variable") throw s.syntaxError();
    s.next();
    s.acceptWord("AS");
    if (s.isWord("TABLE") || s.isWord("CURSOR")) throw s.unsupported(`DECLARE … ${s.peek().value.toUpperCase()}`);
    const type = parseTypeName(s);
    const init = s.acceptOperator("=") ? parseExpression(s) : undefined;
    variables.push({ name: t.value, type, init });
  } while (s.acceptOperator(","));
  return { kind: "declare", variables };
}

function parseIf(s: TokenStream): StatementBody {
  s.expectWord("IF");
  const condition = parseExpression(s);
  // No `;` may come between the statement and ELSE (it would end the IF), as in T-SQL.
  const then = parseStatement(s);
  const otherwise = s.acceptWord("ELSE") ? parseStatement(s) : undefined;
  return { kind: "if", condition, then, else: otherwise };
}

function parseBegin(s: TokenStream): StatementBody {
  s.expectWord("BEGIN");
  if (s.acceptWord("TRAN") || s.acceptWord("TRANSACTION")) {
    // An optional transaction name (or @variable) follows; WITH MARK is outside the subset.
    if (s.peek().kind === "variable" || (s.isName() && !isStatementStart(s))) s.next();
    if (s.isWord("WITH")) throw s.unsupported("BEGIN TRANSACTION … WITH MARK");
    return { kind: "beginTransaction" };
  }
  if (s.isWord("TRY") || s.isWord("DISTRIBUTED") || s.isWord("DIALOG") || s.isWord("CONVERSATION") || s.isWord("ATOMIC")) {
    throw s.unsupported(`BEGIN ${s.peek().value.toUpperCase()}`);
  }
  const body: Statement[] = [];
  while (!s.isWord("END")) {
    if (s.atEnd()) throw s.syntaxError();
    if (s.acceptOperator(";")) continue;
    body.push(parseStatement(s));
  }
  s.expectWord("END");
  return { kind: "block", body };
}

function parseExec(s: TokenStream): StatementBody {
  s.next();
  if (s.acceptOperator("(")) {
    const sql = parseExpression(s);
    s.expectOperator(")");
    if (s.isWord("AS") || s.isWord("AT")) throw s.unsupported(`EXECUTE (…) ${s.peek().value.toUpperCase()}`);
    return { kind: "exec", sql };
  }
  if (s.peek().kind === "variable" && s.isOperator("=", 1)) throw s.unsupported("EXECUTE @return_status = …");
  return parseProcedureCall(s);
}

/** `procedure [arguments]`: only the name matters (no procedure exists in the emulator: 2812 when run). */
function parseProcedureCall(s: TokenStream): StatementBody {
  const parts = [s.name()];
  while (s.acceptOperator(".")) parts.push(s.name());
  while (!s.atEnd() && !s.isOperator(";") && !isStatementStart(s)) s.next();
  return { kind: "execProcedure", name: parts.join(".") };
}
