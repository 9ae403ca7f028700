import type { CertificateStatus } from './generated/CertificateStatus';
import { callWithProgress, type OnProgress } from './ipc';

/** Expiry and revocation of identity `id`: Rust asks its CRL and OCSP servers. */
export function certificateStatus(id: string, onProgress: OnProgress): Promise<CertificateStatus> {
  return callWithProgress<CertificateStatus>('certificate_status', { id }, onProgress);
}
