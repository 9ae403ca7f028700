import { listIdentities, toIpcError, type IdentityRow, type IpcError } from '../api';

/** The home screen: the identities in the wallet, or why they could not be read. */
export class HomeState {
  rows: IdentityRow[] = $state([]);
  error: IpcError | null = $state(null);
  /** Why the profile certdesk was started with (file or certdesk:// link) could not be opened. */
  launchError: IpcError | null = $state(null);
  loading = $state(false);
  /** True once a load has succeeded, so "no certificates" is never shown before we know. */
  loaded = $state(false);

  #inFlight: Promise<void> | null = null;

  /** (Re)reads the wallet; a call while one is running joins it instead of racing it. */
  load(): Promise<void> {
    this.#inFlight ??= this.#load().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.rows = await listIdentities();
      this.loaded = true;
    } catch (reason) {
      this.error = toIpcError(reason);
    } finally {
      this.loading = false;
    }
  }
}
