/**
 * Emulated SQL Server instances for engine tests, and a way to run T-SQL on them as sa from the
 * outside (drift, setup), through the real driver.
 */
import * as sql from "mssql";
import { startEmulator, type EmulatorInstance, type EmulatorOptions } from "../../emulator";

/** sa's password on every test instance (a marker: it must never show up in state or output). */
export const SA_PASSWORD = "Marker-SA-9d41c7e2!";

/** Starts `count` instances on free ports (`options`, e.g. a clock, apply to each). */
export async function startInstances(count: number, options: Omit<EmulatorOptions, "saPassword"> = {}): Promise<EmulatorInstance[]> {
  return Promise.all(Array.from({ length: count }, () => startEmulator({ ...options, saPassword: SA_PASSWORD })));
}

/** Runs T-SQL as sa on an instance over TDS (TLS, CA-validated) and returns the first recordset. */
export async function tsql(instance: EmulatorInstance, text: string): Promise<Array<Record<string, unknown>>> {
  const pool = new sql.ConnectionPool({
    server: "127.0.0.1",
    port: instance.port,
    user: "sa",
    password: SA_PASSWORD,
    options: { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: instance.tlsCertificate } },
    pool: { max: 1 },
  });
  await pool.connect();
  try {
    const result = await pool.request().batch(text);
    return (result.recordset ?? []) as Array<Record<string, unknown>>;
  } finally {
    await pool.close();
  }
}

/** Total requests and logins across instances (to prove a command sent none). */
export function traffic(instances: EmulatorInstance[]): { requests: number; logins: number } {
  return instances.reduce((t, i) => ({ requests: t.requests + i.counters.requests, logins: t.logins + i.counters.logins + i.counters.failedLogins }), {
    requests: 0,
    logins: 0,
  });
}
