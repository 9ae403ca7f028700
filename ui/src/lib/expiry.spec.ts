import { describe, expect, it } from 'vitest';
import { expiryLevel } from './expiry';

describe('expiryLevel', () => {
  it.each([
    [-3, 'critical'],
    [0, 'critical'],
    [13, 'critical'],
    [14, 'warning'],
    [44, 'warning'],
    [45, 'ok'],
    [400, 'ok'],
  ] as const)('%i days left is %s', (days, level) => {
    expect(expiryLevel(days)).toBe(level);
  });
});
