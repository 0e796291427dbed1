/**
 * Built-in scalar functions and `@@` globals of the subset. Each has an arity, a result type and an
 * implementation over evaluated arguments. Names are looked up upper-case; anything else is 195
 * "'X' is not a recognized built-in function name." at compile time.
 */
import type { SqlValue } from "../results";
import { isSysadmin, userIdForLogin } from "./access";
import { sameName } from "./collation";
import type { ExecContext } from "./context";
import { DATABASE_FUNCTIONS } from "./databases/functions";
import { openCertificateKey } from "./ddl/certificates";
import { SqlError, compileError } from "./errors";
import { protectPrivateKey } from "./keys";
import { FIXED_DATABASE_PRINCIPALS, FIXED_SERVER_ROLES } from "./system";
import { toNumber, toText, type SqlType } from "./values";

/** A built-in function. */
export interface FunctionDefinition {
  min: number;
  max: number;
  type(args: SqlType[]): SqlType;
  call(args: SqlValue[], ctx: ExecContext): SqlValue;
}

const SYSNAME: SqlType = { type: "nvarchar", length: 128 };
const INT: SqlType = { type: "int" };
const fixed = (t: SqlType) => () => t;

function loginName(ctx: ExecContext, id: number): string | null {
  const login = ctx.catalog.loginById(id);
  if (login) return login.name;
  return FIXED_SERVER_ROLES.find((r) => r.id === id)?.name ?? null;
}

function currentLoginName(ctx: ExecContext): string {
  return loginName(ctx, ctx.session.loginId) ?? "";
}

function userName(ctx: ExecContext, id: number): string | null {
  return ctx.catalog.userById(id)?.name ?? FIXED_DATABASE_PRINCIPALS.find((p) => p.id === id)?.name ?? null;
}

function currentUserName(ctx: ExecContext): string {
  return userName(ctx, userIdForLogin(ctx.catalog, ctx.session.loginId)) ?? "guest";
}

/** An int argument, or NULL. */
const intArg = (v: SqlValue | undefined) => (v === undefined || v === null ? null : toNumber(v));
/** A string argument, or NULL. */
const textArg = (v: SqlValue | undefined) => (v === undefined || v === null ? null : toText(v));

function visibleCertificate(ctx: ExecContext, id: number | null) {
  if (id === null) return undefined;
  const cert = ctx.catalog.certificateById(id);
  return cert && (ctx.viewer.sysadmin || cert.ownerId === ctx.viewer.userId) ? cert : undefined;
}

/** SERVERPROPERTY values (the product facts are parsed from the @@VERSION text). */
function serverProperty(ctx: ExecContext, name: string): SqlValue {
  const version = /(\d+)\.(\d+)\.(\d+)\.(\d+)/.exec(ctx.instance.version);
  const edition = /\)\s*\n?\s*([^\n]*Edition[^\n(]*)/.exec(ctx.instance.version)?.[1]?.trim() ?? "Developer Edition (64-bit)";
  switch (name.toUpperCase()) {
    case "SERVERNAME":
    case "MACHINENAME":
      return ctx.instance.serverName;
    case "INSTANCENAME":
      return null;
    case "PRODUCTVERSION":
      return version ? version.slice(1).join(".") : null;
    case "PRODUCTMAJORVERSION":
      return version?.[1] ?? null;
    case "PRODUCTLEVEL":
      return "RTM";
    case "EDITION":
      return edition;
    case "ENGINEEDITION":
      return 3;
    case "COLLATION":
      return "SQL_Latin1_General_CP1_CI_AS";
    case "ISHADRENABLED":
      return ctx.instance.availabilityGroups?.enabled === false ? 0 : 1;
    case "ISINTEGRATEDSECURITYONLY":
      return 0;
    case "ISCLUSTERED":
      return 0;
    default:
      return null;
  }
}

/** QUOTENAME's quote characters and the delimiters they stand for. */
const QUOTE_PAIRS: Record<string, [string, string]> = {
  "[": ["[", "]"],
  "]": ["[", "]"],
  "'": ["'", "'"],
  '"': ['"', '"'],
  "(": ["(", ")"],
  ")": ["(", ")"],
  "<": ["<", ">"],
  ">": ["<", ">"],
  "{": ["{", "}"],
  "}": ["{", "}"],
  "`": ["`", "`"],
};

/** The registry. */
export const FUNCTIONS: Record<string, FunctionDefinition> = {
  CERTENCODED: {
    min: 1,
    max: 1,
    type: fixed({ type: "varbinary" }),
    call: ([id], ctx) => visibleCertificate(ctx, intArg(id))?.der ?? null,
  },
  CERTPRIVATEKEY: {
    min: 2,
    max: 3,
    type: fixed({ type: "varbinary" }),
    // NULL whenever the key cannot be reached, as SQL Server returns it.
    call: ([id, encryption, decryption], ctx) => {
      const cert = visibleCertificate(ctx, intArg(id));
      const password = textArg(encryption);
      if (!cert?.privateKey || password === null || !ctx.viewer.sysadmin) return null;
      try {
        return protectPrivateKey(openCertificateKey(ctx, cert, textArg(decryption) ?? undefined), password);
      } catch (e) {
        if (e instanceof SqlError) return null;
        throw e;
      }
    },
  },
  CERT_ID: {
    min: 1,
    max: 1,
    type: fixed(INT),
    call: ([name], ctx) => {
      const n = textArg(name);
      const cert = n === null ? undefined : ctx.catalog.certificateByName(n);
      return cert && visibleCertificate(ctx, cert.id) ? cert.id : null;
    },
  },
  SUSER_NAME: { min: 0, max: 1, type: fixed(SYSNAME), call: ([id], ctx) => (id === undefined ? currentLoginName(ctx) : loginName(ctx, intArg(id) ?? -1)) },
  SUSER_SNAME: {
    min: 0,
    max: 1,
    type: fixed(SYSNAME),
    call: ([sid], ctx) => {
      if (sid === undefined) return currentLoginName(ctx);
      if (!Buffer.isBuffer(sid)) return null;
      return ctx.catalog.loginBySid(sid)?.name ?? FIXED_SERVER_ROLES.find((r) => r.sid.equals(sid))?.name ?? null;
    },
  },
  SUSER_ID: {
    min: 0,
    max: 1,
    type: fixed(INT),
    call: ([name], ctx) => {
      if (name === undefined) return ctx.session.loginId;
      const n = textArg(name);
      return n === null ? null : (ctx.catalog.loginByName(n)?.id ?? FIXED_SERVER_ROLES.find((r) => sameName(r.name, n))?.id ?? null);
    },
  },
  SUSER_SID: {
    min: 0,
    max: 1,
    type: fixed({ type: "varbinary", length: 85 }),
    call: ([name], ctx) => {
      const n = name === undefined ? currentLoginName(ctx) : textArg(name);
      return n === null ? null : (ctx.catalog.loginByName(n)?.sid ?? FIXED_SERVER_ROLES.find((r) => sameName(r.name, n))?.sid ?? null);
    },
  },
  ORIGINAL_LOGIN: { min: 0, max: 0, type: fixed(SYSNAME), call: (_, ctx) => currentLoginName(ctx) },
  SYSTEM_USER: { min: 0, max: 0, type: fixed(SYSNAME), call: (_, ctx) => currentLoginName(ctx) },
  USER_NAME: { min: 0, max: 1, type: fixed(SYSNAME), call: ([id], ctx) => (id === undefined ? currentUserName(ctx) : userName(ctx, intArg(id) ?? -1)) },
  CURRENT_USER: { min: 0, max: 0, type: fixed(SYSNAME), call: (_, ctx) => currentUserName(ctx) },
  SESSION_USER: { min: 0, max: 0, type: fixed(SYSNAME), call: (_, ctx) => currentUserName(ctx) },
  USER: { min: 0, max: 0, type: fixed(SYSNAME), call: (_, ctx) => currentUserName(ctx) },
  USER_ID: {
    min: 0,
    max: 1,
    type: fixed(INT),
    call: ([name], ctx) => {
      if (name === undefined) return userIdForLogin(ctx.catalog, ctx.session.loginId);
      const n = textArg(name);
      return n === null ? null : (ctx.catalog.userByName(n)?.id ?? FIXED_DATABASE_PRINCIPALS.find((p) => sameName(p.name, n))?.id ?? null);
    },
  },
  IS_SRVROLEMEMBER: {
    min: 1,
    max: 2,
    type: fixed(INT),
    call: ([role, login], ctx) => {
      const r = textArg(role);
      if (r === null || !FIXED_SERVER_ROLES.some((x) => sameName(x.name, r))) return null;
      const who = login === undefined ? ctx.catalog.loginById(ctx.session.loginId) : ctx.catalog.loginByName(textArg(login) ?? "");
      if (!who) return null;
      if (sameName(r, "public")) return 1;
      return sameName(r, "sysadmin") && isSysadmin(ctx.catalog, who.id) ? 1 : 0;
    },
  },
  SERVERPROPERTY: { min: 1, max: 1, type: fixed({ type: "nvarchar", length: 128 }), call: ([name], ctx) => serverProperty(ctx, textArg(name) ?? "") },
  QUOTENAME: {
    min: 1,
    max: 2,
    type: fixed({ type: "nvarchar", length: 258 }),
    // NULL for input over 128 characters or an unknown quote character, as SQL Server returns.
    call: ([s, q]) => {
      const text = textArg(s);
      const pair = QUOTE_PAIRS[q === undefined ? "[" : (textArg(q) ?? "")];
      if (text === null || !pair || text.length > 128) return null;
      const [open, close] = pair;
      return open + text.split(close).join(close + close) + close;
    },
  },
  ISNULL: { min: 2, max: 2, type: (t) => t[0]!, call: ([a, b]) => (a === null ? b! : a!) },
  COALESCE: { min: 1, max: 64, type: (t) => t[0]!, call: (args) => args.find((a) => a !== null) ?? null },
  NULLIF: { min: 2, max: 2, type: (t) => t[0]!, call: ([a, b]) => (a !== null && b !== null && toText(a) === toText(b) ? null : a!) },
  LEN: {
    min: 1,
    max: 1,
    type: fixed(INT),
    // Binary counts as varchar does: one character per byte, trailing spaces (0x20) not counted.
    call: ([s]) => (s === null ? null : Buffer.isBuffer(s) ? s.length - (/ *$/.exec(s.toString("latin1"))![0].length) : toText(s!)!.replace(/ +$/, "").length),
  },
  DATALENGTH: {
    min: 1,
    max: 1,
    type: fixed(INT),
    call: ([v]) => (v === null ? null : Buffer.isBuffer(v) ? v.length : typeof v === "string" ? v.length * 2 : 4),
  },
  UPPER: { min: 1, max: 1, type: (t) => t[0]!, call: ([s]) => textArg(s)?.toUpperCase() ?? null },
  LOWER: { min: 1, max: 1, type: (t) => t[0]!, call: ([s]) => textArg(s)?.toLowerCase() ?? null },
  LTRIM: { min: 1, max: 1, type: (t) => t[0]!, call: ([s]) => textArg(s)?.replace(/^ +/, "") ?? null },
  RTRIM: { min: 1, max: 1, type: (t) => t[0]!, call: ([s]) => textArg(s)?.replace(/ +$/, "") ?? null },
  GETDATE: { min: 0, max: 0, type: fixed({ type: "datetime" }), call: (_, ctx) => ctx.instance.now() },
  GETUTCDATE: { min: 0, max: 0, type: fixed({ type: "datetime" }), call: (_, ctx) => ctx.instance.now() },
  SYSDATETIME: { min: 0, max: 0, type: fixed({ type: "datetime2" }), call: (_, ctx) => ctx.instance.now() },
  SYSUTCDATETIME: { min: 0, max: 0, type: fixed({ type: "datetime2" }), call: (_, ctx) => ctx.instance.now() },
  CURRENT_TIMESTAMP: { min: 0, max: 0, type: fixed({ type: "datetime" }), call: (_, ctx) => ctx.instance.now() },
  // DB_ID, DB_NAME (over every database) and DATABASEPROPERTYEX.
  ...DATABASE_FUNCTIONS,
};

/** Aggregates (only without GROUP BY: the whole result is one group). */
export const AGGREGATES = new Set(["COUNT", "MIN", "MAX"]);

/** The `@@` globals. */
export const GLOBALS: Record<string, { type: SqlType; get(ctx: ExecContext): SqlValue }> = {
  "@@VERSION": { type: { type: "nvarchar", length: 300 }, get: (ctx) => ctx.instance.version },
  "@@SERVERNAME": { type: SYSNAME, get: (ctx) => ctx.instance.serverName },
  "@@SERVICENAME": { type: SYSNAME, get: () => "MSSQLSERVER" },
  "@@SPID": { type: { type: "smallint" }, get: (ctx) => ctx.session.spid },
  "@@TRANCOUNT": { type: INT, get: (ctx) => ctx.session.trancount },
  "@@ERROR": { type: INT, get: (ctx) => ctx.session.lastError },
  "@@ROWCOUNT": { type: INT, get: (ctx) => ctx.session.lastRowCount },
  "@@LANGUAGE": { type: SYSNAME, get: (ctx) => ctx.session.settings.language },
  "@@DATEFIRST": { type: { type: "tinyint" }, get: (ctx) => ctx.session.settings.dateFirst },
  "@@TEXTSIZE": { type: INT, get: (ctx) => ctx.session.settings.textSize },
  "@@LOCK_TIMEOUT": { type: INT, get: (ctx) => ctx.session.settings.lockTimeout },
};

/** The definition of `name`, or the compile error SQL Server gives for an unknown one (195) / bad arity (174). */
export function lookupFunction(name: string, argCount: number, line: number): FunctionDefinition {
  const def = FUNCTIONS[name] ?? (() => {
    throw compileError(195, line, name, "built-in function name");
  })();
  if (argCount < def.min || argCount > def.max) {
    throw def.min === def.max ? compileError(174, line, name, def.min) : compileError(189, line, name, def.min, def.max);
  }
  return def;
}
