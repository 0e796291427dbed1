/** Promise wrappers around a raw tedious connection, for tests that need what mssql hides. */
import { Connection, Request, type ConnectionConfiguration } from "tedious";
import { PASSWORD, USER } from "./fixtures";

/** Opens a plaintext (or `encrypt`-configured) tedious connection to the test server; `beforeConnect` can attach listeners that must see the login. */
export function connectTedious(port: number, options: ConnectionConfiguration["options"] = {}, beforeConnect?: (c: Connection) => void): Promise<Connection> {
  const connection = new Connection({
    server: "127.0.0.1",
    authentication: { type: "default", options: { userName: USER, password: PASSWORD } },
    options: { port, encrypt: false, database: "appdb", connectTimeout: 5000, requestTimeout: 5000, ...options },
  });
  // A dropped connection is also reported as an 'error' event; the tests look at the failing request.
  connection.on("error", () => undefined);
  beforeConnect?.(connection);
  return new Promise((resolve, reject) => {
    connection.connect((error) => (error ? reject(error) : resolve(connection)));
  });
}

/** Runs `sql` as sp_executesql (or as a SQL batch) and collects the rows' values. */
export function run(connection: Connection, sqlText: string, batch = false): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    const rows: unknown[][] = [];
    const request = new Request(sqlText, (error) => (error ? reject(error) : resolve(rows)));
    request.on("row", (columns: { value: unknown }[]) => rows.push(columns.map((c) => c.value)));
    if (batch) connection.execSqlBatch(request);
    else connection.execSql(request);
  });
}

/** Promisifies a tedious method that takes a node-style callback. */
export function call<T = void>(fn: (callback: (error: Error | null | undefined, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

/** Closes a tedious connection and waits for its `end` event. */
export function closeTedious(connection: Connection): Promise<void> {
  return new Promise((resolve) => {
    connection.once("end", () => resolve());
    connection.close();
  });
}
