import type { IdentityRow } from './generated/IdentityRow';
import { call } from './ipc';

/** Every identity in the wallet, pending requests included. */
export function listIdentities(): Promise<IdentityRow[]> {
  return call<IdentityRow[]>('list_identities');
}
