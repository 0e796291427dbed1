/**
 * Log sequence numbers. SQL Server shows an LSN as numeric(25,0) made of three parts, the virtual
 * log file's sequence number, the log block and the slot: `vlf * 10^15 + block * 10^5 + slot`
 * (e.g. 39000000028900001 = VLF 39, block 289, slot 1). The emulator keeps that shape with one
 * virtual log file (sequence 1) per database, a new block for every committed transaction and a
 * slot per record within it. With VLF 1 every LSN stays below 2^53 (up to ~80 billion commits), so
 * a client that reads numeric as a JavaScript number (tedious does) gets it exactly.
 */

const VLF_FACTOR = 1_000_000_000_000_000n;
const BLOCK_FACTOR = 100_000n;
/** The virtual log file sequence number of every emulated log. */
const VLF = 1n;
/** The block of a database's first log record. */
const FIRST_BLOCK = 8n;
/** Slots per block (5 decimal digits). */
const MAX_SLOT = 99_999n;

/** The LSN of `slot` in `block`. */
export function makeLsn(block: bigint, slot: bigint): bigint {
  return VLF * VLF_FACTOR + block * BLOCK_FACTOR + slot;
}

/** The block part of an LSN. */
export function lsnBlock(lsn: bigint): bigint {
  return (lsn % VLF_FACTOR) / BLOCK_FACTOR;
}

/** The slot part of an LSN. */
export function lsnSlot(lsn: bigint): bigint {
  return lsn % BLOCK_FACTOR;
}

/**
 * The LSN the next committed transaction starts at, after a log whose last record is `last`
 * (null: an empty log). Also what a backup reports as `last_lsn` ("the next log record after the
 * backup set", Microsoft's backupset page) and the redo point of a restored database.
 */
export function nextTransactionLsn(last: bigint | null): bigint {
  return last === null ? makeLsn(FIRST_BLOCK, 1n) : makeLsn(lsnBlock(last) + 1n, 1n);
}

/** The LSN after `lsn` inside one transaction (a full block continues in the next one). */
export function nextSlotLsn(lsn: bigint): bigint {
  return lsnSlot(lsn) >= MAX_SLOT ? makeLsn(lsnBlock(lsn) + 1n, 1n) : lsn + 1n;
}

/** An LSN as SQL Server prints it in messages (the decimal number). */
export function formatLsn(lsn: bigint): string {
  return lsn.toString();
}
