/**
 * Transaction descriptors (MS-TDS 2.2.7.9, ENVCHANGE 8/9/10). The client copies the descriptor of
 * the newest open transaction into every request's ALL_HEADERS and tedious decides from these
 * ENVCHANGEs whether it is in a transaction, so each connection keeps its own stack.
 */
import { EnvChangeType } from "./protocol";

/** One ENVCHANGE to send for a transaction event. */
export interface TransactionChange {
  /** 8 BEGIN_TXN, 9 COMMIT_TXN or 10 ROLLBACK_TXN. */
  type: number;
  /** New descriptor (begin) or empty. */
  newValue: Buffer;
  /** Old descriptor (commit/rollback) or empty. */
  oldValue: Buffer;
}

const EMPTY = Buffer.alloc(0);
const NO_TRANSACTION = Buffer.alloc(8);

/** A connection's open transactions, newest last. */
export class TransactionDescriptors {
  private readonly stack: Buffer[] = [];

  /** @param fresh returns a new, server-unique 8-byte descriptor. */
  constructor(private readonly fresh: () => Buffer) {}

  /** Applies a begin/commit/rollback event and returns the ENVCHANGE that tells the client. */
  apply(event: "begin" | "commit" | "rollback"): TransactionChange {
    if (event === "begin") {
      const descriptor = this.fresh();
      this.stack.push(descriptor);
      return { type: EnvChangeType.BeginTransaction, newValue: descriptor, oldValue: EMPTY };
    }
    // The handler reports an end only when a transaction really ended; if the client was never
    // told about it (stack empty), the all-zero descriptor is what it currently holds.
    const old = this.stack.pop() ?? NO_TRANSACTION;
    const type = event === "commit" ? EnvChangeType.CommitTransaction : EnvChangeType.RollbackTransaction;
    return { type, newValue: EMPTY, oldValue: old };
  }

  /**
   * RESETCONNECTION rolled back whatever was open. Returns the ROLLBACK_TXN change for the
   * outermost transaction (tedious keeps its descriptor stack across a reset otherwise), or
   * `undefined` when none was open.
   */
  reset(): TransactionChange | undefined {
    const outermost = this.stack[0];
    this.stack.length = 0;
    return outermost && { type: EnvChangeType.RollbackTransaction, newValue: EMPTY, oldValue: outermost };
  }
}
