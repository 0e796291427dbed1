/** Shared inputs for the provider unit tests: a valid connection and a runner for check. */
import type * as pulumi from "@pulumi/pulumi";
import { UNKNOWN } from "../../../provider/resources/unknown";

export { UNKNOWN };

/** A valid, normalized connection. */
export const connection = {
  server: "sql1.example",
  port: 1433,
  user: "sa",
  password: "Sa-Passw0rd!",
  encrypt: true,
  trustServerCertificate: false,
} as const;

/** Runs `check` with no old inputs and returns `{ inputs, failures }`. */
export async function check(provider: pulumi.dynamic.ResourceProvider, news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  const result = await provider.check!(olds, news);
  return { inputs: result.inputs as Record<string, unknown>, failures: result.failures ?? [] };
}

/** The failure reasons by property. */
export async function failuresOf(provider: pulumi.dynamic.ResourceProvider, news: Record<string, unknown>): Promise<Record<string, string>> {
  const { failures } = await check(provider, news);
  return Object.fromEntries(failures.map((f) => [f.property, f.reason]));
}
