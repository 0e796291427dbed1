/**
 * The undo journal that gives statements atomicity and sessions their transactions: every catalog
 * change goes through a journal, which remembers how to take it back. A failed statement rolls back
 * its own journal; a transaction accumulates its statements' journals until COMMIT (forget) or
 * ROLLBACK (undo, newest first). No global snapshot is ever taken. Commit steps run when the
 * outermost journal commits (the database layer writes its log records there) and are dropped by a
 * rollback.
 */

/** Shared by the commit steps of one commit, so they can group their work and finish it together. */
export interface CommitContext {
  /** Per-owner scratch space (keyed by whatever object registered the steps). */
  readonly state: Map<unknown, unknown>;
  /** Run after every commit step, in order. */
  readonly after: Array<() => void>;
}

/** A list of undo steps. */
export class Journal {
  private readonly undo: Array<() => void> = [];
  private readonly commitSteps: Array<(commit: CommitContext) => void> = [];

  /** True when nothing was changed through this journal. */
  get empty(): boolean {
    return this.undo.length === 0 && this.commitSteps.length === 0;
  }

  /** Appends `item` to `list`. */
  insert<T>(list: T[], item: T): void {
    list.push(item);
    this.undo.push(() => {
      const i = list.lastIndexOf(item);
      if (i >= 0) list.splice(i, 1);
    });
  }

  /** Removes `item` from `list` (no-op when absent). */
  remove<T>(list: T[], item: T): void {
    const i = list.indexOf(item);
    if (i < 0) return;
    list.splice(i, 1);
    this.undo.push(() => list.splice(Math.min(i, list.length), 0, item));
  }

  /** Sets `target[key] = value`. */
  assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): void {
    const had = Object.prototype.hasOwnProperty.call(target, key);
    const old = target[key];
    target[key] = value;
    this.undo.push(() => {
      if (had) target[key] = old;
      else delete target[key];
    });
  }

  /** Records an arbitrary undo step (for changes outside the catalog lists, e.g. caches). */
  onUndo(step: () => void): void {
    this.undo.push(step);
  }

  /** Records a step to run when the changes commit (never, if they are rolled back). */
  onCommit(step: (commit: CommitContext) => void): void {
    this.commitSteps.push(step);
  }

  /** Moves this journal's steps to the end of `outer` (a statement's changes joining its transaction). */
  mergeInto(outer: Journal): void {
    outer.undo.push(...this.undo);
    outer.commitSteps.push(...this.commitSteps);
    this.undo.length = 0;
    this.commitSteps.length = 0;
  }

  /** Undoes every change, newest first, and empties the journal. */
  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo.length = 0;
    this.commitSteps.length = 0;
  }

  /** Forgets the changes (they are committed) and runs the commit steps. */
  commit(): void {
    this.undo.length = 0;
    const steps = this.commitSteps.splice(0);
    const commit: CommitContext = { state: new Map(), after: [] };
    for (const step of steps) step(commit);
    for (const finish of commit.after) finish();
  }
}
