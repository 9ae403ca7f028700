import { HomeState } from './home.svelte';

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
}
