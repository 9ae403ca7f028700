import { checkSite, listIdentities, toIpcError, type IdentityRow, type IpcError, type Phase, type SiteCheck } from '../api';

/** "Check a site": any address, with any issued identity or none. */
export class CheckState {
  url = $state('');
  /** The identity to present; null checks without a certificate. */
  identityId: string | null = $state(null);
  identities: IdentityRow[] = $state([]);
  result: SiteCheck | null = $state(null);
  busy: Phase | 'working' | null = $state(null);
  error: IpcError | null = $state(null);

  constructor(identityId: string | null = null, url = '') {
    this.identityId = identityId;
    this.url = url;
  }

  get canCheck(): boolean {
    return this.busy === null && this.url.trim() !== '';
  }

  /** Loads the identities that can be presented (issued ones). */
  async load(): Promise<void> {
    try {
      this.identities = (await listIdentities()).filter((row) => row.status === 'issued');
    } catch (reason) {
      this.error = toIpcError(reason);
    }
  }

  async check(): Promise<void> {
    if (!this.canCheck) return;
    this.busy = 'working';
    this.error = null;
    this.result = null;
    try {
      this.result = await checkSite(this.url.trim(), this.identityId, (event) => {
        this.busy = event.phase;
      });
    } catch (reason) {
      this.error = toIpcError(reason);
    } finally {
      this.busy = null;
    }
  }
}
