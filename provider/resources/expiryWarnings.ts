/**
 * Prints a certificate's expiry warning (or error, once expired) during `pulumi preview` and
 * `pulumi up`, attached to the certificate resource. It runs in the program, on the certificate's
 * `expiryDate` output: known at preview for a certificate that does not change (the engine hands
 * back its state), unknown for one about to be created or replaced — whose replacement is the
 * answer to the warning anyway. No request to SQL Server is involved.
 */
import * as pulumi from "@pulumi/pulumi";
import { currentTime, DEFAULT_WARN_BEFORE_DAYS, expiryNotice, lifecycleProblems } from "./certificateLifecycle";
import { parseUtcDate } from "../sql/validate";

/** What {@link watchExpiry} needs to know. */
export interface ExpiryWatch {
  /** The certificate resource the message is attached to. */
  resource: pulumi.Resource;
  /** Logical name of the instance the certificate is on. */
  instance: pulumi.Input<string>;
  /** For an imported copy: the peer whose certificate it is. */
  peer?: pulumi.Input<string>;
  /** The certificate's name output. */
  certificateName: pulumi.Output<string>;
  /** The certificate's `expiryDate` output. */
  expiryDate: pulumi.Output<string>;
  /** Warn this many days ahead (whole days, 0 = only once expired). Default 30. */
  warnBeforeDays?: number;
  /** When automatic rotation is on, its window (named in the warning). */
  rotateBeforeDays?: pulumi.Input<number | undefined>;
}

/**
 * Checks a plain `warnBeforeDays` at program time: a wrong one fails `pulumi preview` before any
 * resource is registered, naming `owner` and the fix.
 */
export function checkWarnBeforeDays(owner: string, warnBeforeDays: unknown): number {
  if (warnBeforeDays === undefined) return DEFAULT_WARN_BEFORE_DAYS;
  const [problem] = lifecycleProblems({ warnBeforeDays });
  if (problem !== undefined) throw new Error(`${owner}: ${problem.property} ${problem.reason}`);
  return warnBeforeDays as number;
}

/** Logs the notice for the certificate once its name and expiry are known. */
export function watchExpiry(w: ExpiryWatch): void {
  const warnBeforeDays = w.warnBeforeDays ?? DEFAULT_WARN_BEFORE_DAYS;
  void pulumi
    .all([w.certificateName, w.expiryDate, w.instance, w.peer, w.rotateBeforeDays])
    .apply(([certificate, expiryDate, instance, peer, rotateBeforeDays]) => {
      const expiry = parseUtcDate(expiryDate);
      if (!(expiry instanceof Date) || typeof certificate !== "string") return;
      const notice = expiryNotice(
        { instance, certificate, ...(typeof peer === "string" ? { peer } : {}) },
        expiry,
        currentTime(),
        { warnBeforeDays, ...(typeof rotateBeforeDays === "number" ? { rotateBeforeDays } : {}) },
      );
      if (notice === undefined) return;
      // An error-level message, not a failed command: the `up` that fixes the certificate must run.
      if (notice.severity === "error") void pulumi.log.error(notice.message, w.resource);
      else void pulumi.log.warn(notice.message, w.resource);
    });
}
