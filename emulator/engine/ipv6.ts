/**
 * The canonical text form of an IPv6 address (RFC 5952 section 4): lower-case hexadecimal, no
 * leading zeros in a group, the longest run of two or more zero groups (the first one on a tie)
 * written as `::`, nothing else shortened. SQL Server listens only on addresses "in their numeric,
 * canonical form" (error 7887); which canonical form is not documented, so RFC 5952's is assumed.
 * Embedded IPv4 notation (`::ffff:10.0.0.1`) is not canonical here.
 */

/** The eight 16-bit groups of a syntactically valid IPv6 address without a zone, or undefined. */
function groups(address: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:]+$/.test(address)) return undefined;
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === "") return [];
    const items = part.split(":");
    if (items.some((g) => g.length === 0 || g.length > 4)) return undefined;
    return items.map((g) => parseInt(g, 16));
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined;
}

/** The canonical form of `address`, or undefined when it is not plain hexadecimal IPv6. */
export function canonicalIpv6(address: string): string | undefined {
  const g = groups(address);
  if (g === undefined) return undefined;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = g.map((n) => n.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
