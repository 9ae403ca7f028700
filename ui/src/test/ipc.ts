import { mockIPC } from '@tauri-apps/api/mocks';
import type { IdentityRow, IpcError, Phase } from '../lib/api';

export const alice: IdentityRow = {
  id: 'a1',
  label: 'Alice at Example',
  status: 'issued',
  subject: 'CN=Alice',
  issuer: 'Example Issuing CA',
  key_type: 'ec-p256',
  key_description: 'ECDSA P-256',
  expires_in_days: 10,
  expiry: 'critical',
  installed_in: ['Chromium / Google Chrome'],
  key_on_token: null,
};

export const bob: IdentityRow = {
  id: 'b2',
  label: 'Bob VPN',
  status: 'pending',
  subject: 'CN=Bob',
  issuer: null,
  key_type: 'rsa-3072',
  key_description: 'RSA 3072-bit',
  expires_in_days: null,
  expiry: null,
  installed_in: [],
  key_on_token: null,
};

export const wrongPassword: IpcError = {
  kind: 'wrong_password',
  message: 'wrong password for the wallet key',
  hint: 'unlock your keyring and try again',
  server_ca: null,
};

export type Answer = (args: Record<string, unknown>) => unknown;

/**
 * Fakes the Rust side: each command answers with a value, or rejects like Tauri does. With
 * `events`, `listen` works and `emit` from '@tauri-apps/api/event' reaches the listeners.
 */
export function fakeCommands(answers: Record<string, Answer>, options: { events?: boolean } = {}): string[] {
  const calls: string[] = [];
  mockIPC(
    (cmd, args) => {
      calls.push(cmd);
      const answer = answers[cmd];
      if (!answer) throw new Error(`unexpected command ${cmd}`);
      return answer((args ?? {}) as Record<string, unknown>);
    },
    { shouldMockEvents: options.events ?? false },
  );
  return calls;
}

/** Sends a progress event through the Channel a command received as `onProgress`. */
export function sendProgress(args: Record<string, unknown>, phase: Phase): void {
  const channel = args.onProgress as { onmessage: (event: { phase: Phase }) => void };
  channel.onmessage({ phase });
}

/** Tauri rejects a failed command with the serialised error object itself, not an Error. */
export function rejectWith(error: IpcError): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the wire shape
  return Promise.reject(error);
}

/** A command's arguments without its progress Channel, which must be there. */
export function withoutChannel(args: Record<string, unknown>): Record<string, unknown> {
  const { onProgress, ...rest } = args;
  if (typeof onProgress !== 'object' || onProgress === null) throw new Error('no onProgress Channel was passed');
  return rest;
}
