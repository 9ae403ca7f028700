import { launchProfile, toIpcError } from '../api';
import { HomeState } from './home.svelte';
import { WizardState } from './wizard.svelte';

/** Which screen is shown. */
export type Screen =
  | { readonly name: 'home' }
  | { readonly name: 'wizard' }
  | { readonly name: 'details'; readonly id: string }
  | { readonly name: 'check'; readonly id: string | null };

/** The app's one piece of navigation state. */
export class AppState {
  screen: Screen = $state({ name: 'home' });
  readonly home = new HomeState();

  go(screen: Screen): void {
    this.screen = screen;
    if (screen.name === 'home') void this.home.load();
  }

  /**
   * Asks Rust once for the profile certdesk was started with. With one, returns a wizard on it
   * and shows the wizard; when it cannot be opened, Home shows why (message and hint).
   */
  async launch(): Promise<WizardState | null> {
    try {
      const profile = await launchProfile();
      if (profile === null) return null;
      const wizard = WizardState.withProfile(profile);
      this.go({ name: 'wizard' });
      return wizard;
    } catch (reason) {
      this.home.launchError = toIpcError(reason);
      return null;
    }
  }
}
