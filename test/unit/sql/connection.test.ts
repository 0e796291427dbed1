import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAllPools, connectionConfigProblems, createSqlClient, POOL_SIZE, type ConnectionConfig } from "../../../provider/sql/connection";
import { setMssqlDriverForTests, type DriverPool, type DriverRequest, type MssqlDriver } from "../../../provider/sql/driver";
import { ValidationError } from "../../../provider/sql/errors";
import { connectionError, requestError } from "./fakes";

/** What the next query on any fake pool does. */
type Outcome = { recordsets: unknown[][] } | Error | Promise<{ recordsets: unknown[][] }>;

class FakePool implements DriverPool {
  closed = false;
  readonly queries: { sql: string; inputs: [string, unknown, unknown][] }[] = [];
  readonly errorListeners: ((error: unknown) => void)[] = [];
  constructor(
    readonly config: Record<string, unknown>,
    private readonly world: FakeWorld,
  ) {}
  async connect(): Promise<unknown> {
    const failure = this.world.connectFailures.shift();
    if (failure !== undefined) throw failure;
    return this;
  }
  async close(): Promise<unknown> {
    this.closed = true;
    return undefined;
  }
  on(_event: "error", listener: (error: unknown) => void): unknown {
    this.errorListeners.push(listener);
    return this;
  }
  request(): DriverRequest {
    const inputs: [string, unknown, unknown][] = [];
    return {
      input: (name, type, value) => inputs.push([name, type, value]),
      query: async (sql) => {
        this.queries.push({ sql, inputs });
        const outcome = this.world.outcomes.shift() ?? { recordsets: [] };
        if (outcome instanceof Error) throw outcome;
        return outcome;
      },
    };
  }
}

class FakeWorld {
  readonly pools: FakePool[] = [];
  readonly outcomes: Outcome[] = [];
  readonly connectFailures: Error[] = [];
  readonly driver: MssqlDriver;
  constructor() {
    const world = this;
    this.driver = {
      ConnectionPool: class {
        constructor(config: unknown) {
          const pool = new FakePool(config as Record<string, unknown>, world);
          world.pools.push(pool);
          return pool;
        }
      } as unknown as MssqlDriver["ConnectionPool"],
      NVarChar: (length: number) => `NVarChar(${length})`,
      VarBinary: (length: number) => `VarBinary(${length})`,
      Int: "Int",
      Bit: "Bit",
    };
  }
}

const config: ConnectionConfig = { server: "sql1", user: "sa", password: "Secret-MARKER-1" };
let world: FakeWorld;

beforeEach(() => {
  world = new FakeWorld();
  setMssqlDriverForTests(world.driver);
});

afterEach(async () => {
  await closeAllPools();
  setMssqlDriverForTests(undefined);
});

/** Lets pending promise callbacks (pool closes) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("pool configuration", () => {
  it("secure by default, in master, socket validation, bounded pool", async () => {
    await createSqlClient(config).query("SELECT 1");
    expect(world.pools).toHaveLength(1);
    expect(world.pools[0].config).toEqual({
      server: "sql1",
      port: 1433,
      user: "sa",
      password: "Secret-MARKER-1",
      database: "master",
      connectionTimeout: 15000,
      requestTimeout: 30000,
      validateConnection: "socket",
      pool: { max: POOL_SIZE, min: 0, idleTimeoutMillis: 300000 },
      options: { encrypt: true, trustServerCertificate: false, appName: "pulumi-mssql-mirroring" },
    });
  });

  it("passes strict encryption, the CA and timeouts through", async () => {
    const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    await createSqlClient({ ...config, port: 14330, encrypt: "strict", trustServerCertificate: true, ca, connectTimeoutMs: 500, requestTimeoutMs: 900 }).query("SELECT 1");
    expect(world.pools[0].config).toMatchObject({
      port: 14330,
      connectionTimeout: 500,
      requestTimeout: 900,
      options: { encrypt: "strict", trustServerCertificate: true, cryptoCredentialsDetails: { ca } },
    });
  });

  it("sends each typed parameter with its SQL type and returns the recordsets", async () => {
    world.outcomes.push({ recordsets: [[{ a: 1 }], []] });
    const result = await createSqlClient(config).query("SELECT @n, @b, @i, @f", {
      n: { type: "nvarchar", value: "x" },
      b: { type: "varbinary", value: Buffer.from("aa", "hex") },
      i: { type: "int", value: 7 },
      f: { type: "bit", value: true },
    });
    expect(result).toEqual([[{ a: 1 }], []]);
    expect(world.pools[0].queries[0]).toEqual({
      sql: "SELECT @n, @b, @i, @f",
      inputs: [
        ["n", "NVarChar(4000)", "x"],
        ["b", "VarBinary(8000)", Buffer.from("aa", "hex")],
        ["i", "Int", 7],
        ["f", "Bit", true],
      ],
    });
  });

  it("the client's target is server:port", () => {
    expect(createSqlClient(config).target).toBe("sql1:1433");
    expect(createSqlClient({ ...config, port: 5000 }).target).toBe("sql1:5000");
  });
});

describe("one pool per (server, port, user)", () => {
  it("is shared by every client and call with the same key", async () => {
    await Promise.all([createSqlClient(config).query("A"), createSqlClient({ ...config }).query("B"), createSqlClient({ ...config, server: "SQL1" }).query("C")]);
    await createSqlClient(config).query("D");
    expect(world.pools).toHaveLength(1);
    expect(world.pools[0].queries.map((q) => q.sql)).toEqual(["A", "B", "C", "D"]);
  });

  it("differs per port and per user", async () => {
    await createSqlClient(config).query("A");
    await createSqlClient({ ...config, port: 1434 }).query("B");
    await createSqlClient({ ...config, user: "admin" }).query("C");
    expect(world.pools).toHaveLength(3);
  });

  it("is replaced when the password changes, the old one closed", async () => {
    await createSqlClient(config).query("A");
    await createSqlClient({ ...config, password: "new" }).query("B");
    await settle();
    expect(world.pools).toHaveLength(2);
    expect(world.pools[0].closed).toBe(true);
    expect(world.pools[1].closed).toBe(false);
    expect(world.pools[1].config.password).toBe("new");
  });

  it("is replaced when TLS options change", async () => {
    await createSqlClient(config).query("A");
    await createSqlClient({ ...config, trustServerCertificate: true }).query("B");
    expect(world.pools).toHaveLength(2);
  });

  it("lets in-flight requests finish on a replaced pool before closing it", async () => {
    let release!: (value: { recordsets: unknown[][] }) => void;
    world.outcomes.push(new Promise((resolve) => (release = resolve)));
    const slow = createSqlClient(config).query("SLOW");
    await settle();
    await createSqlClient({ ...config, password: "new" }).query("FAST");
    await settle();
    expect(world.pools[0].closed).toBe(false);
    release({ recordsets: [[{ ok: 1 }]] });
    await expect(slow).resolves.toEqual([[{ ok: 1 }]]);
    await settle();
    expect(world.pools[0].closed).toBe(true);
  });
});

describe("failures", () => {
  it("a connection-level failure drops the pool; the next call reconnects", async () => {
    const client = createSqlClient(config);
    await client.query("A");
    world.outcomes.push(connectionError("ESOCKET", "Connection lost - read ECONNRESET"));
    await expect(client.query("B")).rejects.toThrow(/Connection lost/);
    await settle();
    expect(world.pools[0].closed).toBe(true);
    await client.query("C");
    expect(world.pools).toHaveLength(2);
    expect(world.pools[1].queries.map((q) => q.sql)).toEqual(["C"]);
  });

  it("a server error keeps the pool", async () => {
    const client = createSqlClient(config);
    world.outcomes.push(requestError(15151, "Cannot find the certificate"));
    await expect(client.query("A")).rejects.toMatchObject({ number: 15151 });
    await client.query("B");
    expect(world.pools).toHaveLength(1);
    expect(world.pools[0].closed).toBe(false);
  });

  it("a pool that cannot connect is not kept", async () => {
    world.connectFailures.push(connectionError("ELOGIN", "Login failed for user 'sa'."));
    const client = createSqlClient(config);
    await expect(client.query("A")).rejects.toThrow(/Login failed/);
    await client.query("B");
    expect(world.pools).toHaveLength(2);
    expect(world.pools[1].queries.map((q) => q.sql)).toEqual(["B"]);
  });

  it("an 'error' event of the pool (an idle connection died) retires it", async () => {
    const client = createSqlClient(config);
    await client.query("A");
    world.pools[0].errorListeners.forEach((listener) => listener(new Error("idle connection reset")));
    await settle();
    expect(world.pools[0].closed).toBe(true);
    await client.query("B");
    expect(world.pools).toHaveLength(2);
  });

  it("scrubs the connection password from driver errors", async () => {
    world.outcomes.push(Object.assign(new Error("bad password Secret-MARKER-1 echoed"), { code: "EREQUEST" }));
    const error = (await createSqlClient(config)
      .query("A")
      .then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toBe("bad password *** echoed");
    expect(error.stack).not.toContain("MARKER");
  });
});

describe("closeAllPools", () => {
  it("closes every pool", async () => {
    await createSqlClient(config).query("A");
    await createSqlClient({ ...config, server: "sql2" }).query("B");
    await closeAllPools();
    expect(world.pools.map((p) => p.closed)).toEqual([true, true]);
    await createSqlClient(config).query("C");
    expect(world.pools).toHaveLength(3);
  });
});

describe("configuration checks", () => {
  it.each([
    [{ server: "" }, "connection.server"],
    [{ server: "host\\INST" }, "connection.server"],
    [{ port: 0 }, "connection.port"],
    [{ user: "" }, "connection.user"],
    [{ password: undefined as unknown as string }, "connection.password"],
    [{ encrypt: "yes" as never }, "connection.encrypt"],
    [{ ca: "not pem" }, "connection.ca"],
    [{ connectTimeoutMs: -1 }, "connection.connectTimeoutMs"],
    [{ requestTimeoutMs: 1.5 }, "connection.requestTimeoutMs"],
  ])("%j is refused as %s", (change, property) => {
    const bad = { ...config, ...change };
    expect(connectionConfigProblems(bad).map((p) => p.property)).toEqual([property]);
    expect(() => createSqlClient(bad)).toThrow(ValidationError);
    expect(() => createSqlClient(bad)).toThrow(new RegExp(`^${property.replace(".", "\\.")}: `));
  });

  it("a good configuration has no problems", () => {
    expect(connectionConfigProblems({ ...config, port: 1433, encrypt: false, password: "" })).toEqual([]);
  });
});

describe("lazy driver loading", () => {
  it("importing the SQL layer does not load mssql (closure serialization stays small)", () => {
    const root = path.resolve(__dirname, "../../..");
    // A bare require hook on `typescript` (a declared devDependency): compile each .ts on load.
    const script =
      "const fs = require('fs'); const ts = require('typescript');" +
      "require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, f);" +
      "require('./provider/sql/index.ts');" +
      "const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](mssql|tedious)[\\\\/]/.test(k));" +
      "process.stdout.write(JSON.stringify(loaded));";
    const output = execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });
    expect(JSON.parse(output)).toEqual([]);
  });

  it("loading the driver defers @azure/identity until Azure AD authentication uses it", () => {
    const root = path.resolve(__dirname, "../../..");
    const script =
      "const fs = require('fs'); const path = require('path'); const ts = require('typescript');" +
      "require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, f);" +
      "const driver = require('./provider/sql/driver.ts').loadDriver();" +
      "const identityFiles = () => Object.keys(require.cache).filter((k) => /node_modules[\\\\/]@azure[\\\\/]identity[\\\\/]/.test(k)).length;" +
      "const before = identityFiles();" +
      "const tedious = require.resolve('tedious', { paths: [path.dirname(require.resolve('mssql'))] });" +
      "const identity = require(require.resolve('@azure/identity', { paths: [path.dirname(tedious)] }));" +
      "process.stdout.write(JSON.stringify({ pool: typeof driver.ConnectionPool, before, credential: typeof identity.DefaultAzureCredential, after: identityFiles() > 1 }));";
    const output = execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });
    // Only the stand-in is loaded with the driver; the real module arrives on first use.
    expect(JSON.parse(output)).toEqual({ pool: "function", before: 1, credential: "function", after: true });
  });
});
