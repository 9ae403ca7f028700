import type { InstallResult } from './generated/InstallResult';
import type { StoreView } from './generated/StoreView';
import { call, callWithProgress, type OnProgress } from './ipc';

/** The browser and system stores on this computer; `installed` is about identity `id`. */
export function listStores(id: string | null): Promise<StoreView[]> {
  return call<StoreView[]>('list_stores', { id });
}

/** Installs identity `id` into the stores named by their `key`. */
export function installIdentity(
  id: string,
  stores: string[],
  onProgress: OnProgress,
): Promise<InstallResult[]> {
  return callWithProgress<InstallResult[]>('install_identity', { id, stores }, onProgress);
}
