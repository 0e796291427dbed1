/**
 * LOGIN7 → handler: builds the `LoginRequest`, asks the handler, and reduces every way a login can
 * go wrong (integrated security, a handler that throws or answers nonsense) to an ERROR for the
 * client, so the connection only has to send one of two replies.
 */
import type { SqlMessage } from "../results";
import type { ConnectionInfo, LoginRequest, TdsHandler, TdsSession } from "./handler";
import type { Login7 } from "./login7";
import { describeError } from "./responses";

/** How a login ended. */
export type LoginOutcome = { session: TdsSession; database: string } | { error: SqlMessage };

/** Login failures are class 14, as SQL Server reports them. */
function loginError(message: string, number = 18456): SqlMessage {
  return { number, state: 1, class: 14, message, line: 1 };
}

/** Asks the handler to authenticate a parsed LOGIN7; never throws. */
export async function authenticate(login: Login7, handler: TdsHandler, connection: ConnectionInfo): Promise<LoginOutcome> {
  if (login.integratedSecurity) {
    return { error: loginError("Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.", 18452) };
  }
  const request: LoginRequest = {
    userName: login.userName,
    password: login.password,
    database: login.database,
    appName: login.appName,
    hostName: login.hostName,
    serverName: login.serverName,
    language: login.language,
    packetSize: login.packetSize,
  };
  const failed = `Login failed for user '${login.userName}'.`;
  try {
    const result: unknown = await handler.login(request, connection);
    if (typeof result === "object" && result !== null) {
      if ("session" in result && result.session) {
        const { session, database } = result as { session: TdsSession; database: unknown };
        return { session, database: typeof database === "string" && database ? database : "master" };
      }
      if ("error" in result && result.error) return { error: result.error as SqlMessage };
    }
    return { error: loginError(failed) };
  } catch (error) {
    return { error: loginError(`${failed} ${describeError(error)}`) };
  }
}
