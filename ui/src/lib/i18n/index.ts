import { de } from './de';
import { en, type Messages } from './en';

export type { Messages };
export type Locale = 'en' | 'de';

const catalogues: Record<Locale, Messages> = { en, de };

/** The catalogue for a BCP 47 tag such as `navigator.language` ("de-AT" → German); English otherwise. */
export function messagesFor(language: string | undefined): Messages {
  const primary = (language ?? '').toLowerCase().split(/[-_]/)[0];
  return primary === 'de' ? catalogues.de : catalogues.en;
}
