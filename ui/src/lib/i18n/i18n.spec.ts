import { describe, expect, it } from 'vitest';
import { de } from './de';
import { en } from './en';
import { messagesFor } from './index';

function shape(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return typeof value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, inner]) => [key, shape(inner)]),
  );
}

describe('i18n', () => {
  it.each([
    ['de', 'de'],
    ['de-DE', 'de'],
    ['de_CH', 'de'],
    ['en-GB', 'en'],
    ['fr-FR', 'en'],
    ['', 'en'],
    [undefined, 'en'],
  ])('%s picks %s', (language, lang) => {
    expect(messagesFor(language).lang).toBe(lang);
  });

  it('German has every key English has', () => {
    expect(shape(de)).toEqual(shape(en));
  });

  it('counts days in both languages', () => {
    expect([-2, -1, 0, 1, 5].map(en.identity.expiresIn)).toEqual([
      'expired 2 days ago',
      'expired yesterday',
      'expires today',
      'expires in 1 day',
      'expires in 5 days',
    ]);
    expect([-2, -1, 0, 1, 5].map(de.identity.expiresIn)).toEqual([
      'seit 2 Tagen abgelaufen',
      'seit gestern abgelaufen',
      'läuft heute ab',
      'läuft in 1 Tag ab',
      'läuft in 5 Tagen ab',
    ]);
  });
});
