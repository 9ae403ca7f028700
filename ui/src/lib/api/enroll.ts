import type { EnrollResult } from './generated/EnrollResult';
import type { RenewResult } from './generated/RenewResult';
import type { PracticeInfo } from './generated/PracticeInfo';
import type { PortalUpload } from './generated/PortalUpload';
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

/** How a web portal takes the request: generated from the one Rust enum the CLI shares. */
export type { PortalUpload };

/** What a web-portal enrollment needs from the person. */
export interface PortalRequest {
  /** The page's https:// address. */
  url: string;
  upload: PortalUpload;
  /** The form field's name (form and multipart); the Rust side picks a default when null. */
  field: string | null;
  user: string | null;
  /** A password or one-time code (HTTP Basic). */
  code: string | null;
  /** A bearer token, when the page takes one instead of a user name and password. */
  token: string | null;
  /** A CA fingerprint the person confirmed after an `untrusted_server` error. */
  trustSha256: string | null;
}

/** Sends a pending request to a "paste or upload your request" web page. */
export function enrollPortal(id: string, portal: PortalRequest, onProgress: OnProgress): Promise<EnrollResult> {
  return callWithProgress<EnrollResult>('enroll_portal', { id, ...portal }, onProgress);
}

/** Asks again for a request the server holds for approval. */
export function resumeEnrollment(id: string, onProgress: OnProgress): Promise<EnrollResult> {
  return callWithProgress<EnrollResult>('resume_enrollment', { id }, onProgress);
}

/**
 * Renews an issued identity over EST with its current certificate; the new certificate then
 * replaces the old one in every store that held it, and the profile's sites are checked again.
 */
export function renewIdentity(id: string, onProgress: OnProgress): Promise<RenewResult> {
  return callWithProgress<RenewResult>('renew_identity', { id }, onProgress);
}
