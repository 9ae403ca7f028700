import type { IdentityRow } from './generated/IdentityRow';
import type { NewIdentitySpec } from './generated/NewIdentitySpec';
import type { ProfileView } from './generated/ProfileView';
import { call, callWithProgress, type OnProgress } from './ipc';

/** Opens a help-desk profile chosen in a file picker (in Rust); null when none was chosen. */
export function openProfile(): Promise<ProfileView | null> {
  return call<ProfileView | null>('open_profile');
}

/**
 * The profile certdesk was started with (a .certdesk file or a certdesk:// link), loaded in
 * Rust and made the open profile; null when there is none or it was already handed out.
 */
export function launchProfile(): Promise<ProfileView | null> {
  return call<ProfileView | null>('launch_profile');
}

/** Makes the key and request from the open profile's template and what the person typed. */
export function createRequestFromProfile(spec: NewIdentitySpec, onProgress: OnProgress): Promise<IdentityRow> {
  return callWithProgress<IdentityRow>('create_request_from_profile', { spec }, onProgress);
}
