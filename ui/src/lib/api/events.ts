import { listen } from '@tauri-apps/api/event';

/** Calls `handler` with the names of files dropped on the window; returns the unsubscribe. */
export function onFileDropped(handler: (names: string[]) => void): Promise<() => void> {
  return listen<string[]>('certdesk://file-dropped', (event) => {
    handler(event.payload);
  });
}
