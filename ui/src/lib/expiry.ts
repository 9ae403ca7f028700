/** How urgent an expiry is. The UI shows it in words and in colour, never in colour alone. */
export type ExpiryLevel = 'critical' | 'warning' | 'ok';

/** Under 14 days (or expired) is critical, under 45 days a warning. */
export function expiryLevel(daysLeft: number): ExpiryLevel {
  if (daysLeft < 14) return 'critical';
  if (daysLeft < 45) return 'warning';
  return 'ok';
}
