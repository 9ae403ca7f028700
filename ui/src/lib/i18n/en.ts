import type { IpcErrorKind } from '../api';
import type { RowStatus } from '../api';

/** English, the reference catalogue: every other language has exactly these keys. */
export const en = {
  lang: 'en',
  home: {
    title: 'My certificates',
    loading: 'Loading your certificates…',
    emptyTitle: 'You have no certificates yet.',
    emptyHint: 'For now, request one in a terminal with',
    emptyCommand: 'certdesk request new',
    emptyAfter: 'It will show up here.',
  },
  identity: {
    issuedBy: 'Issued by',
    waiting: 'Waiting for the certificate',
    status: 'Status',
    expiry: 'Expiry',
    keyType: 'Key',
    statuses: {
      pending: 'Requested',
      issued: 'Issued',
    } satisfies Record<RowStatus, string>,
    levels: {
      critical: 'Renew now',
      warning: 'Renew soon',
      ok: 'Valid',
    },
    expiresIn: (days: number): string => {
      if (days < -1) return `expired ${String(-days)} days ago`;
      if (days === -1) return 'expired yesterday';
      if (days === 0) return 'expires today';
      if (days === 1) return 'expires in 1 day';
      return `expires in ${String(days)} days`;
    },
  },
  error: {
    retry: 'Try again',
    titles: {
      invalid_input: 'That input cannot be used',
      wrong_password: 'Wrong password',
      not_found: 'Not found',
      keyring: 'The system keyring is not available',
      io: 'A file could not be read or written',
      bad_file: 'A file is damaged or of the wrong kind',
      mismatch: 'These do not belong together',
      internal: 'Something went wrong',
    } satisfies Record<IpcErrorKind, string>,
  },
};

export type Messages = typeof en;
