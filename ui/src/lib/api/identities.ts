import type { ExportedP12 } from './generated/ExportedP12';
import type { IdentityDetails } from './generated/IdentityDetails';
import type { IdentityRow } from './generated/IdentityRow';
import type { ImportedReply } from './generated/ImportedReply';
import type { NewIdentitySpec } from './generated/NewIdentitySpec';
import type { ReplySource } from './generated/ReplySource';
import type { RequestText } from './generated/RequestText';
import { call, callWithProgress, type OnProgress } from './ipc';

/** Every identity in the wallet, pending requests included. */
export function listIdentities(): Promise<IdentityRow[]> {
  return call<IdentityRow[]>('list_identities');
}

/** Everything about one identity, in plain words. */
export function identityDetails(id: string): Promise<IdentityDetails> {
  return call<IdentityDetails>('identity_details', { id });
}

/** Makes a key (kept in the wallet, protected by the OS keyring) and a request. */
export function createRequest(spec: NewIdentitySpec, onProgress: OnProgress): Promise<IdentityRow> {
  return callWithProgress<IdentityRow>('create_request', { spec }, onProgress);
}

/** The request of a pending identity, to send by email or paste into a portal. */
export function requestText(id: string): Promise<RequestText> {
  return call<RequestText>('request_text', { id });
}

/** Imports a reply from the file picker or the last dropped file; null when nothing was picked. */
export function importReply(source: ReplySource, id: string | null): Promise<ImportedReply | null> {
  return call<ImportedReply | null>('import_reply', { source, id });
}

/** Saves a .p12 where the user chooses; the password comes back once. Null when cancelled. */
export function exportP12(id: string, compatible: boolean): Promise<ExportedP12 | null> {
  return call<ExportedP12 | null>('export_p12', { id, compatible });
}

/**
 * Removes an identity and its keyring secret once the person confirmed in the native dialog
 * the Rust side shows (it names the identity); false when they kept it.
 */
export function deleteIdentity(id: string): Promise<boolean> {
  return call<boolean>('delete_identity', { id });
}

/** Saves the request as a ready email (.eml) where the person chooses; null when cancelled. */
export function saveEmailRequest(id: string, to: string | null): Promise<string | null> {
  return call<string | null>('save_email_request', { id, to });
}
