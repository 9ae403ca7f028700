import type { SiteCheck } from './generated/SiteCheck';
import { callWithProgress, type OnProgress } from './ipc';

/** Checks `url` presenting identity `id` (or none); all networking happens in Rust. */
export function checkSite(url: string, id: string | null, onProgress: OnProgress): Promise<SiteCheck> {
  return callWithProgress<SiteCheck>('check_site', { url, id }, onProgress);
}
