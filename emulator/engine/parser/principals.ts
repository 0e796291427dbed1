/**
 * Parsing of logins, users and endpoint / server permissions (reference section 4): CREATE / ALTER /
 * DROP LOGIN, CREATE / ALTER / DROP USER, GRANT / DENY / REVOKE.
 */
import type { LoginOptions, PermissionStatement, StatementBody } from "../ast";
import { ENDPOINT_PERMISSION_TYPES, SERVER_PERMISSION_TYPES } from "../system";
import type { TokenStream } from "./stream";


function onOff(s: TokenStream): boolean {
  s.expectOperator("=");
  return s.expectOneOf("ON", "OFF") === "ON";
}

/** `PASSWORD = '…' | PASSWORD = 0x… HASHED`. */
function parsePassword(s: TokenStream): LoginOptions["password"] {
  s.expectOperator("=");
  if (s.peek().kind === "binary") {
    const hash = s.binary();
    s.expectWord("HASHED");
    return { hash };
  }
  return { text: s.string() };
}

/** One `name = value` option shared by CREATE and ALTER LOGIN; false when the next token is none of them. */
function parseSharedLoginOption(s: TokenStream, options: LoginOptions): boolean {
  if (options.defaultDatabase === undefined && s.acceptWord("DEFAULT_DATABASE")) {
    s.expectOperator("=");
    options.defaultDatabase = s.name();
  } else if (options.defaultLanguage === undefined && s.acceptWord("DEFAULT_LANGUAGE")) {
    s.expectOperator("=");
    options.defaultLanguage = s.name();
  } else if (options.checkPolicy === undefined && s.acceptWord("CHECK_POLICY")) options.checkPolicy = onOff(s);
  else if (options.checkExpiration === undefined && s.acceptWord("CHECK_EXPIRATION")) options.checkExpiration = onOff(s);
  else if (s.isWord("CREDENTIAL")) throw s.unsupported("CREDENTIAL");
  else return false;
  return true;
}

/** CREATE LOGIN … (after CREATE LOGIN). */
export function parseCreateLogin(s: TokenStream): StatementBody {
  const name = s.name();
  if (s.acceptWord("FROM")) {
    const source = s.peek().value.toUpperCase();
    throw s.unsupported(`CREATE LOGIN … FROM ${source === "ASYMMETRIC" || source === "EXTERNAL" ? `${source} ${s.peek(1).value.toUpperCase()}` : source}`);
  }
  s.expectWord("WITH", "PASSWORD");
  const options: LoginOptions = { password: parsePassword(s) };
  if (s.acceptWord("MUST_CHANGE")) options.mustChange = true;
  while (s.acceptOperator(",")) {
    if (options.sid === undefined && s.acceptWord("SID")) {
      s.expectOperator("=");
      options.sid = s.binary();
    } else if (!parseSharedLoginOption(s, options)) throw s.syntaxError();
  }
  return { kind: "createLogin", name, options };
}

/** ALTER LOGIN … (after ALTER LOGIN). */
export function parseAlterLogin(s: TokenStream): StatementBody {
  const name = s.name();
  if (s.acceptWord("ENABLE")) return { kind: "alterLogin", name, enable: true };
  if (s.acceptWord("DISABLE")) return { kind: "alterLogin", name, enable: false };
  if (s.isWord("ADD") || s.isWord("DROP")) throw s.unsupported(`ALTER LOGIN … ${s.peek().value.toUpperCase()} CREDENTIAL`);
  s.expectWord("WITH");
  const options: LoginOptions = {};
  do {
    if (options.password === undefined && s.acceptWord("PASSWORD")) {
      options.password = parsePassword(s);
      // OLD_PASSWORD, MUST_CHANGE and UNLOCK follow the password without commas.
      for (;;) {
        if (options.oldPassword === undefined && s.acceptWord("OLD_PASSWORD")) options.oldPassword = s.equalsString();
        else if (!options.mustChange && s.acceptWord("MUST_CHANGE")) options.mustChange = true;
        else if (!options.unlock && s.acceptWord("UNLOCK")) options.unlock = true;
        else break;
      }
    } else if (options.newName === undefined && s.acceptWord("NAME")) {
      s.expectOperator("=");
      options.newName = s.name();
    } else if (s.isWords("NO", "CREDENTIAL")) throw s.unsupported("NO CREDENTIAL");
    else if (!parseSharedLoginOption(s, options)) throw s.syntaxError();
  } while (s.acceptOperator(","));
  return { kind: "alterLogin", name, options };
}

/** CREATE USER … (after CREATE USER). */
export function parseCreateUser(s: TokenStream): StatementBody {
  const name = s.name();
  let login: string | undefined;
  let withoutLogin = false;
  if (s.isWord("FOR") || s.isWord("FROM")) {
    s.next();
    if (!s.isWord("LOGIN")) throw s.unsupported(`CREATE USER … FOR ${s.peek().value.toUpperCase()}`);
    s.next();
    login = s.name();
  } else if (s.acceptWord("WITHOUT", "LOGIN")) withoutLogin = true;
  let defaultSchema: string | undefined;
  if (s.acceptWord("WITH")) {
    if (!s.isWord("DEFAULT_SCHEMA")) throw s.unsupported(`CREATE USER … WITH ${s.peek().value.toUpperCase()}`);
    s.next();
    s.expectOperator("=");
    defaultSchema = s.name();
  }
  return { kind: "createUser", name, login, withoutLogin, defaultSchema };
}

/** ALTER USER … WITH … (after ALTER USER). */
export function parseAlterUser(s: TokenStream): StatementBody {
  const name = s.name();
  s.expectWord("WITH");
  const statement: { kind: "alterUser"; name: string; login?: string; newName?: string; defaultSchema?: string } = { kind: "alterUser", name };
  do {
    const option = s.expectOneOf("NAME", "LOGIN", "DEFAULT_SCHEMA");
    s.expectOperator("=");
    const value = s.name();
    if (option === "NAME" && statement.newName === undefined) statement.newName = value;
    else if (option === "LOGIN" && statement.login === undefined) statement.login = value;
    else if (option === "DEFAULT_SCHEMA" && statement.defaultSchema === undefined) statement.defaultSchema = value;
    else throw s.syntaxError(s.previous());
  } while (s.acceptOperator(","));
  return statement;
}

/** DROP USER [IF EXISTS] name (after DROP USER). */
export function parseDropUser(s: TokenStream): StatementBody {
  const ifExists = s.acceptWord("IF", "EXISTS");
  return { kind: "dropUser", name: s.name(), ifExists };
}

/** A permission name: one or more words up to `,`, ON, TO or FROM. */
function parsePermissionName(s: TokenStream): string {
  const words: string[] = [];
  while (s.peek().kind === "word" && !s.isWord("ON") && !s.isWord("TO") && !s.isWord("FROM")) words.push(s.next().value.toUpperCase());
  if (words.length === 0) throw s.syntaxError();
  return words.join(" ");
}

/** A grantee: a login name, or the `public` server role (a reserved word, allowed here). */
function parsePrincipal(s: TokenStream): string {
  if (s.acceptWord("PUBLIC")) return "public";
  return s.name();
}

/** GRANT / DENY / REVOKE … (the verb is the current token). */
export function parsePermission(s: TokenStream): StatementBody {
  const action = s.expectOneOf("GRANT", "DENY", "REVOKE");
  const grantOptionFor = action === "REVOKE" && s.acceptWord("GRANT", "OPTION", "FOR");
  const first = s.peek();
  const permissions = [parsePermissionName(s)];
  while (s.acceptOperator(",")) permissions.push(parsePermissionName(s));
  let endpoint: string | undefined;
  if (s.acceptWord("ON")) {
    const objectClass = s.peek();
    if (!s.isWord("ENDPOINT") || !s.isOperator("::", 1)) {
      throw s.unsupported(`${action} … ON ${objectClass.kind === "word" && s.isOperator("::", 1) ? objectClass.value.toUpperCase() : "<object>"}`);
    }
    s.next();
    s.next();
    endpoint = s.name();
  }
  const known = endpoint ? ENDPOINT_PERMISSION_TYPES : SERVER_PERMISSION_TYPES;
  const unknown = permissions.find((p) => !(p in known));
  if (unknown) throw s.unsupported(`${action} ${unknown}${endpoint ? " ON ENDPOINT" : ""}`, first.line);
  if (action === "REVOKE") s.expectOneOf("FROM", "TO");
  else s.expectWord("TO");
  const principals = [parsePrincipal(s)];
  while (s.acceptOperator(",")) principals.push(parsePrincipal(s));
  const withGrantOption = action === "GRANT" && s.acceptWord("WITH", "GRANT", "OPTION");
  const cascade = action !== "GRANT" && s.acceptWord("CASCADE");
  const asLogin = s.acceptWord("AS") ? parsePrincipal(s) : undefined;
  const statement: PermissionStatement = {
    kind: "permission",
    action,
    permissions,
    endpoint,
    principals,
    withGrantOption,
    grantOptionFor,
    cascade,
    ...(asLogin !== undefined ? { asLogin } : {}),
  };
  return statement;
}
