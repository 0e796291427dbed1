/**
 * String comparison as the emulated instance's collation does it (SQL_Latin1_General_CP1_CI_AS-like):
 * case-insensitive, accent-sensitive, trailing spaces ignored. Names in `master` are unique under it,
 * so `[Bob]` and `[BOB]` are the same login, and `WHERE name = N'bob'` finds either.
 */
const collator = new Intl.Collator("en-US", { sensitivity: "accent", usage: "sort" });

/** Removes trailing spaces: `=` ignores them in T-SQL (ANSI padding semantics). */
function trimTrailingSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
  return s.slice(0, end);
}

/** Orders two strings under the collation (negative, zero, positive). */
export function compareText(a: string, b: string): number {
  const x = trimTrailingSpaces(a);
  const y = trimTrailingSpaces(b);
  if (x === y) return 0;
  const c = collator.compare(x, y);
  if (c !== 0) return c;
  // Equal to ICU. Case differences are meant to be equal; anything else (ignorable code points such
  // as U+200B, different normal forms) is kept distinct, by code units, so distinct names stay distinct.
  const lx = x.toLowerCase();
  const ly = y.toLowerCase();
  return lx === ly ? 0 : lx < ly ? -1 : 1;
}

/** True when two names are the same under the collation. */
export function sameName(a: string, b: string): boolean {
  return compareText(a, b) === 0;
}
