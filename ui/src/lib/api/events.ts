import { listen } from '@tauri-apps/api/event';

/**
 * Calls `handler` when certdesk was started again with a profile (a certdesk:// link or a
 * .certdesk file opened while this window runs): `launchProfile()` then hands it out.
 */
export function onProfileLaunched(handler: () => void): Promise<() => void> {
  return listen('certdesk://profile-launched', () => {
    handler();
  });
}

/** Calls `handler` with the names of files dropped on the window; returns the unsubscribe. */
export function onFileDropped(handler: (names: string[]) => void): Promise<() => void> {
  return listen<string[]>('certdesk://file-dropped', (event) => {
    handler(event.payload);
  });
}
