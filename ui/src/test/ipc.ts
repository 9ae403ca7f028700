import { mockIPC } from '@tauri-apps/api/mocks';
import type { IdentityRow, IpcError } from '../lib/api';

export const alice: IdentityRow = {
  id: 'a1',
  label: 'Alice at Example',
  status: 'issued',
  subject: 'CN=Alice',
  issuer: 'Example Issuing CA',
  key_type: 'ec-p256',
  key_description: 'ECDSA P-256',
  expires_in_days: 10,
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
};

export const wrongPassword: IpcError = {
  kind: 'wrong_password',
  message: 'wrong password for the wallet key',
  hint: 'unlock your keyring and try again',
};

/** Fakes the Rust side: each command answers with a value, or rejects like Tauri does. */
export function fakeCommands(answers: Record<string, () => unknown>): string[] {
  const calls: string[] = [];
  mockIPC((cmd) => {
    calls.push(cmd);
    const answer = answers[cmd];
    if (!answer) throw new Error(`unexpected command ${cmd}`);
    return answer();
  });
  return calls;
}

/** Tauri rejects a failed command with the serialised error object itself, not an Error. */
export function rejectWith(error: IpcError): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the wire shape
  return Promise.reject(error);
}
