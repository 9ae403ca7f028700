import type { Messages } from './en';

export const de: Messages = {
  lang: 'de',
  home: {
    title: 'Meine Zertifikate',
    loading: 'Ihre Zertifikate werden geladen …',
    emptyTitle: 'Sie haben noch keine Zertifikate.',
    emptyHint: 'Beantragen Sie vorerst eines im Terminal mit',
    emptyCommand: 'certdesk request new',
    emptyAfter: 'Es erscheint dann hier.',
  },
  identity: {
    issuedBy: 'Ausgestellt von',
    waiting: 'Wartet auf das Zertifikat',
    status: 'Status',
    expiry: 'Ablauf',
    keyType: 'Schlüssel',
    statuses: {
      pending: 'Beantragt',
      issued: 'Ausgestellt',
    },
    levels: {
      critical: 'Jetzt erneuern',
      warning: 'Bald erneuern',
      ok: 'Gültig',
    },
    expiresIn: (days: number): string => {
      if (days < -1) return `seit ${String(-days)} Tagen abgelaufen`;
      if (days === -1) return 'seit gestern abgelaufen';
      if (days === 0) return 'läuft heute ab';
      if (days === 1) return 'läuft in 1 Tag ab';
      return `läuft in ${String(days)} Tagen ab`;
    },
  },
  error: {
    retry: 'Erneut versuchen',
    titles: {
      invalid_input: 'Diese Eingabe ist nicht verwendbar',
      wrong_password: 'Falsches Passwort',
      not_found: 'Nicht gefunden',
      keyring: 'Der Schlüsselbund des Systems ist nicht verfügbar',
      io: 'Eine Datei konnte nicht gelesen oder geschrieben werden',
      bad_file: 'Eine Datei ist beschädigt oder hat das falsche Format',
      mismatch: 'Diese Teile gehören nicht zusammen',
      internal: 'Etwas ist schiefgelaufen',
    },
  },
};
