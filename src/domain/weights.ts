/**
 * Integer weights in percent. Istio treats the weights of a route's destinations as relative
 * proportions (a destination receives weight / sum of weights; VirtualService reference,
 * `HTTPRouteDestination.weight`), and istiops always writes integers summing to 100.
 */

/**
 * Splits `total` (an integer) into integer parts proportional to `shares` by the largest remainder
 * method (Hamilton): each part gets the floor of its exact quota, then the parts with the largest
 * remainders get one more until the total is reached; ties go to the earlier share. When every
 * share is 0 the total is split equally (the same rule, equal quotas).
 * @param shares non-negative numbers, one per destination.
 * @returns integers summing to `total`, in the order of `shares` (empty for no shares).
 */
export function apportion(shares: readonly number[], total: number): number[] {
  if (shares.length === 0) return [];
  const sum = shares.reduce((a, b) => a + b, 0);
  const quotas = shares.map((s) => (sum > 0 ? (s * total) / sum : total / shares.length));
  const parts = quotas.map((q) => Math.floor(q + 1e-9));
  let missing = total - parts.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => ({ i, remainder: q - Math.floor(q + 1e-9) }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of order) {
    if (missing <= 0) break;
    parts[i] = (parts[i] as number) + 1;
    missing--;
  }
  return parts;
}
