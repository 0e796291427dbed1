/**
 * T-SQL to emulated instances as `sa`, as a DBA would in SSMS (the demo and the benchmarks use it):
 * over real TDS through the `mssql` driver, one pool per instance, and bounded polls for states that take a moment to settle.
 */
import sql from "mssql";
import type { EmulatorInstance } from "../emulator";

/** One row of a result, as the driver returns it. */
export type Row = Record<string, unknown>;

/** T-SQL sessions to the demo's instances as `sa`, one pool per instance, closed together. */
export class SaSql {
  private readonly pools = new Map<string, Promise<sql.ConnectionPool>>();

  constructor(private readonly saPassword: string) {}

  /** Runs `text` on `instance` and returns its first result set. */
  async rows(instance: EmulatorInstance, text: string): Promise<Row[]> {
    const pool = await this.pool(instance);
    const result = await pool.request().batch(text);
    return (result.recordsets as unknown as Row[][])[0] ?? [];
  }

  /** Runs `text` on `instance` for its effect. */
  async run(instance: EmulatorInstance, text: string): Promise<void> {
    await (await this.pool(instance)).request().batch(text);
  }

  /** Closes the pool of one instance (it is about to stop) or of all of them. */
  async close(instance?: EmulatorInstance): Promise<void> {
    const keys = instance ? [key(instance)] : [...this.pools.keys()];
    for (const k of keys) {
      const pool = this.pools.get(k);
      this.pools.delete(k);
      if (pool) await pool.then((p) => p.close()).catch(() => undefined);
    }
  }

  private pool(instance: EmulatorInstance): Promise<sql.ConnectionPool> {
    let pool = this.pools.get(key(instance));
    if (!pool) {
      pool = new sql.ConnectionPool({
        server: "127.0.0.1",
        port: instance.port,
        user: "sa",
        password: this.saPassword,
        options: { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: [instance.tlsCertificate] } },
        pool: { max: 2 },
      }).connect();
      pool.catch(() => this.pools.delete(key(instance)));
      this.pools.set(key(instance), pool);
    }
    return pool;
  }
}

const key = (instance: EmulatorInstance) => `${instance.host}:${instance.port}`;

/**
 * Calls `probe` every 100 ms until it returns something other than undefined, for at most
 * `timeoutMs`; a probe that throws counts as "not yet" (an instance still starting).
 */
export async function pollFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : "";
      throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `[name]` with `]` doubled: the demo's database names come from stack config. */
export const bracket = (name: string) => `[${name.replace(/]/g, "]]")}]`;

/** `N'text'` with `'` doubled. */
export const literal = (text: string) => `N'${text.replace(/'/g, "''")}'`;
