import {
  certificateStatus,
  deleteIdentity,
  exportP12,
  identityDetails,
  renewIdentity,
  resumeEnrollment,
  toIpcError,
  type CertificateStatus,
  type ExportedP12,
  type IdentityDetails,
  type IpcError,
  type Phase,
  type RenewResult,
} from '../api';

/** One identity's details and the actions on it. */
export class DetailsState {
  readonly id: string;
  details: IdentityDetails | null = $state(null);
  exported: ExportedP12 | null = $state(null);
  compatible = $state(false);
  /** What the last renewal did: the new certificate, the stores updated, the sites checked. */
  renewal: RenewResult | null = $state(null);
  /** Expiry and revocation, once asked. */
  status: CertificateStatus | null = $state(null);
  removed = $state(false);
  busy: Phase | 'working' | null = $state(null);
  error: IpcError | null = $state(null);

  constructor(id: string) {
    this.id = id;
  }

  async #run(work: () => Promise<void>): Promise<void> {
    if (this.busy !== null) return;
    this.busy = 'working';
    this.error = null;
    try {
      await work();
    } catch (reason) {
      this.error = toIpcError(reason);
    } finally {
      this.busy = null;
    }
  }

  load(): Promise<void> {
    return this.#run(async () => {
      this.details = await identityDetails(this.id);
    });
  }

  saveP12(): Promise<void> {
    return this.#run(async () => {
      this.exported = (await exportP12(this.id, this.compatible)) ?? this.exported;
    });
  }

  askAgain(): Promise<void> {
    return this.#run(async () => {
      await resumeEnrollment(this.id, (event) => {
        this.busy = event.phase;
      });
      this.details = await identityDetails(this.id);
    });
  }

  /**
   * Asks the issuer for a new certificate for the same key and name (EST re-enroll); the Rust
   * side then puts it where the old one was installed and re-checks the profile's sites.
   */
  renew(): Promise<void> {
    return this.#run(async () => {
      this.renewal = await renewIdentity(this.id, (event) => {
        this.busy = event.phase;
      });
      this.status = null;
      this.details = await identityDetails(this.id);
    });
  }

  /** Asks the certificate's CRL and OCSP servers whether it was revoked. */
  checkStatus(): Promise<void> {
    return this.#run(async () => {
      this.status = await certificateStatus(this.id, (event) => {
        this.busy = event.phase;
      });
    });
  }

  /**
   * Removes it. The question ("Remove … for good?") is a native dialog the Rust side shows with
   * the identity's name, so that the page alone can never delete: nothing is asked here.
   */
  remove(): Promise<void> {
    return this.#run(async () => {
      this.removed = await deleteIdentity(this.id);
    });
  }
}
