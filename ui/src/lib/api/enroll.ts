import type { EnrollResult } from './generated/EnrollResult';
import type { PracticeInfo } from './generated/PracticeInfo';
import { callWithProgress, type OnProgress } from './ipc';

/** Starts the built-in practice CA and practice site on this computer (once). */
export function startPractice(onProgress: OnProgress): Promise<PracticeInfo> {
  return callWithProgress<PracticeInfo>('start_practice', {}, onProgress);
}

/** Sends a pending request to the running practice CA. */
export function enrollPractice(id: string, onProgress: OnProgress): Promise<EnrollResult> {
  return callWithProgress<EnrollResult>('enroll_practice', { id }, onProgress);
}

/** What an EST enrollment needs from the person. */
export interface EstRequest {
  url: string;
  /** The CA label on servers with several (`/.well-known/est/<label>`). */
  label: string | null;
  user: string | null;
  code: string | null;
  /** A CA fingerprint the person confirmed after an `untrusted_server` error. */
  trustSha256: string | null;
}

/** Sends a pending request to an EST server. */
export function enrollEst(id: string, est: EstRequest, onProgress: OnProgress): Promise<EnrollResult> {
  return callWithProgress<EnrollResult>('enroll_est', { id, ...est }, onProgress);
}

/** Asks again for a request the server holds for approval. */
export function resumeEnrollment(id: string, onProgress: OnProgress): Promise<EnrollResult> {
  return callWithProgress<EnrollResult>('resume_enrollment', { id }, onProgress);
}

/** Renews an issued identity over EST with its current certificate. */
export function renewIdentity(id: string, onProgress: OnProgress): Promise<EnrollResult> {
  return callWithProgress<EnrollResult>('renew_identity', { id }, onProgress);
}
