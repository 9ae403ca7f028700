import { emit } from '@tauri-apps/api/event';
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { alice, fakeCommands, rejectWith } from './test/ipc';
import { staffProfile } from './test/fixtures';
import { AppState } from './lib/state/app.svelte';
import type { IpcError, ProfileView } from './lib/api';

const linked: ProfileView = { ...staffProfile, origin: 'link https://help.example.org/staff.certdesk' };

const badLink: IpcError = {
  kind: 'invalid_input',
  message:
    'certdesk://profile?url=http%3A%2F%2Fhelp.example.org%2Fp: the profile address http://help.example.org/p uses plain http://',
  hint: "ask your help desk for the profile's https:// address",
  server_ca: null,
};

describe('starting with a profile (file association or certdesk:// link)', () => {
  it('opens the wizard on the launch profile, filled in as Open a help-desk profile does', async () => {
    const calls = fakeCommands({ launch_profile: () => linked, list_identities: () => [alice] });
    const app = new AppState();

    const wizard = await app.launch();

    expect(calls).toContain('launch_profile');
    expect(app.screen).toEqual({ name: 'wizard' });
    expect(wizard?.source).toBe('profile');
    expect(wizard?.profile?.origin).toBe('link https://help.example.org/staff.certdesk');
    expect(wizard?.method).toBe('est');
    expect(wizard?.estUrl).toBe('https://est.example.org');
    expect(wizard?.email).toBe('ada@example.org');
    expect(wizard?.keyType).toBe('rsa-3072');
    expect(wizard?.trustedSha256).toBe('3F:9A');
  });

  it('stays on Home when there is no launch profile', async () => {
    fakeCommands({ launch_profile: () => null, list_identities: () => [] });
    const app = new AppState();

    expect(await app.launch()).toBeNull();
    expect(app.screen).toEqual({ name: 'home' });
    expect(app.home.launchError).toBeNull();
  });

  it('shows the wizard with the profile and where it came from', async () => {
    fakeCommands({ launch_profile: () => linked, list_identities: () => [alice] });
    render(App);

    expect(await screen.findByText('From link https://help.example.org/staff.certdesk')).toBeTruthy();
    expect(screen.getByText('Example Corp staff certificate')).toBeTruthy();
    expect(screen.getByRole<HTMLInputElement>('radio', { name: /help-desk profile/i }).checked).toBe(true);
  });

  it('opens a profile handed over by a second start (a link clicked while the app runs)', async () => {
    let launched: ProfileView | null = null;
    const calls = fakeCommands(
      { launch_profile: () => launched, list_identities: () => [alice] },
      { events: true },
    );
    render(App);
    expect(await screen.findByRole('heading', { level: 1, name: 'My certificates' })).toBeTruthy();

    launched = linked;
    await emit('certdesk://profile-launched');

    expect(await screen.findByText('From link https://help.example.org/staff.certdesk')).toBeTruthy();
    expect(calls.filter((c) => c === 'launch_profile')).toHaveLength(2);
  });

  it('shows why a launch profile could not be opened on Home, with its hint', async () => {
    fakeCommands({ launch_profile: () => rejectWith(badLink), list_identities: () => [alice] });
    render(App);

    const alert = await screen.findByText(badLink.message);
    expect(alert).toBeTruthy();
    expect(screen.getByText(badLink.hint ?? '')).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1, name: 'My certificates' })).toBeTruthy();
  });
});
