/**
 * Fault injection for reliability tests: "the next statement whose text matches fails with error N".
 * The statement does not run; the error is reported exactly as a real one would be.
 */
import type { SqlMessage } from "../results";
import { isKnownMessage, messageText } from "./errors";

/** The error an injected fault raises. */
export interface InjectedError {
  number: number;
  /** Default: the emulator's text for `number` when it knows it (without arguments), else a generic text. */
  message?: string;
  /** Default 16. */
  class?: number;
  /** Default 1. */
  state?: number;
}

/** The fault hooks of an engine. */
export interface FaultHooks {
  /**
   * Makes the next `times` (default 1) statements whose source text matches `pattern` fail with
   * `error` instead of running. A string pattern matches as a case-insensitive substring. Only
   * statements that do something themselves count, not the IF / BEGIN…END / EXEC (…) around them:
   * a guarded `IF NOT EXISTS (…) CREATE …` fails only if the CREATE would really run.
   */
  failNext(pattern: RegExp | string, error: InjectedError, times?: number): void;
  /** Removes every pending fault. */
  clear(): void;
}

interface PendingFault {
  test(text: string): boolean;
  error: InjectedError;
  remaining: number;
}

/** The fault list; statements consult {@link FaultInjector.take} before running. */
export class FaultInjector implements FaultHooks {
  private faults: PendingFault[] = [];

  failNext(pattern: RegExp | string, error: InjectedError, times = 1): void {
    const test =
      typeof pattern === "string"
        ? (text: string) => text.toLowerCase().includes(pattern.toLowerCase())
        : (text: string) => {
            pattern.lastIndex = 0;
            return pattern.test(text);
          };
    this.faults.push({ test, error, remaining: times });
  }

  clear(): void {
    this.faults = [];
  }

  /** The error for a statement about to run, consuming one use of the first matching fault. */
  take(statementText: string, line: number): SqlMessage | undefined {
    const fault = this.faults.find((f) => f.test(statementText));
    if (!fault) return undefined;
    if (--fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    const { number } = fault.error;
    const message = fault.error.message ?? (isKnownMessage(number) ? messageText(number) : `Fault injected by the emulator (error ${number}).`);
    return { number, message, class: fault.error.class ?? 16, state: fault.error.state ?? 1, line };
  }
}
