import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/random.js';
import { apportion } from './weights.js';

describe('apportion (largest remainder)', () => {
  it.each<[string, number[], number, number[]]>([
    ['an exact split', [90, 10], 100, [90, 10]],
    ['an exact proportional split', [40, 60], 90, [36, 54]],
    ['shares that are not percentages', [1, 1, 2], 100, [25, 25, 50]],
    ['a remainder to the largest fraction', [50, 20], 100, [71, 29]],
    ['a remainder shared by two fractions', [1, 1, 1], 100, [34, 33, 33]],
    ['a tie of remainders to the earlier share', [50, 30], 100, [63, 37]],
    ['a tie among three to the earlier ones', [1, 1, 1, 1, 1, 1], 100, [17, 17, 17, 17, 16, 16]],
    ['a share rounded down to zero', [99, 1], 40, [40, 0]],
    ['a zero share staying zero', [0, 50, 50], 90, [0, 45, 45]],
    ['all-zero shares split equally', [0, 0], 90, [45, 45]],
    ['all-zero shares with a remainder to the earlier one', [0, 0, 0], 100, [34, 33, 33]],
    ['a single share taking everything', [7], 80, [80]],
    ['a zero total', [30, 70], 0, [0, 0]],
  ])('splits %s', (_, shares, total, parts) => {
    expect(apportion(shares, total)).toEqual(parts);
  });

  it('returns no parts for no shares', () => {
    expect(apportion([], 100)).toEqual([]);
  });

  it('does not change the shares it is given', () => {
    const shares = Object.freeze([3, 2, 1]);
    expect(apportion(shares, 100)).toEqual([50, 33, 17]);
    expect(shares).toEqual([3, 2, 1]);
  });

  it('property: integer parts sum to the total and each is within 1 of its exact quota', () => {
    const next = seededRandom(20261201);
    for (let run = 0; run < 2000; run++) {
      const n = 1 + Math.floor(next() * 6);
      const shares = Array.from({ length: n }, () => (next() < 0.15 ? 0 : Math.floor(next() * 101)));
      const total = Math.floor(next() * 101);
      const parts = apportion(shares, total);
      const sum = shares.reduce((a, b) => a + b, 0);
      const where = `shares ${JSON.stringify(shares)} total ${total} -> ${JSON.stringify(parts)}`;
      expect(parts, where).toHaveLength(n);
      expect(parts.every((p) => Number.isInteger(p) && p >= 0), where).toBe(true);
      expect(parts.reduce((a, b) => a + b, 0), where).toBe(total);
      parts.forEach((p, i) => {
        const quota = sum > 0 ? ((shares[i] ?? 0) * total) / sum : total / n;
        expect(Math.abs(p - quota), where).toBeLessThan(1);
        if (sum > 0 && shares[i] === 0) expect(p, where).toBe(0);
      });
    }
  });
});
