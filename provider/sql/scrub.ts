/**
 * Removing secrets from error text. Passwords are spliced into statements as literals (the
 * grammar leaves no choice), so anything that might echo statement text, such as a syntax error
 * quoting the text near it, could leak one. Every error leaving the SQL layer is scrubbed of every
 * secret the call used, in its message, its stack and every nested error's message and stack.
 */
import { errorChain } from "./driverError";

/** What a secret is replaced with. */
export const REDACTED = "***";

/**
 * The forms a secret can take in text: as given, and as written inside a T-SQL literal (`'`
 * doubled). Longest first, so a secret that contains another is replaced whole.
 */
function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret === "") continue;
    forms.add(secret);
    forms.add(secret.replace(/'/g, "''"));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of every secret replaced by {@link REDACTED}. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const form of secretForms(secrets)) out = out.split(form).join(REDACTED);
  return out;
}

/**
 * Scrubs `error` and every error nested in it (`cause`, `originalError`, `errors`,
 * `precedingErrors`, tedious' `info`) in place: `message` and `stack`. Only a frozen object is left
 * alone; the wrapping `SqlServerError` builds its own text from scrubbed copies anyway.
 */
export function scrubErrorInPlace(error: unknown, secrets: readonly string[]): void {
  if (secretForms(secrets).length === 0) return;
  for (const item of errorChain(error)) {
    for (const target of [item, item.info]) {
      if (typeof target !== "object" || target === null) continue;
      const record = target as Record<string, unknown>;
      for (const key of ["message", "stack"]) {
        const value = record[key];
        if (typeof value !== "string") continue;
        const clean = scrubText(value, secrets);
        if (clean === value) continue;
        try {
          record[key] = clean;
        } catch {
          // Read-only but configurable (some libraries define `message` that way): redefine it.
          // A frozen object stays as it is; the wrapping error never copies its text.
          try {
            Object.defineProperty(record, key, { value: clean });
          } catch {
            /* frozen */
          }
        }
      }
    }
  }
}
