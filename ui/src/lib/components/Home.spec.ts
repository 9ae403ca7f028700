import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { alice, bob, fakeCommands, rejectWith, wrongPassword } from '../../test/ipc';
import { messagesFor } from '../i18n';
import { HomeState } from '../state/home.svelte';
import Home from './Home.svelte';

const en = messagesFor('en-US');

async function renderLoaded(t = en) {
  const home = new HomeState();
  render(Home, { home, t });
  await home.load();
  return home;
}

describe('Home', () => {
  it('shows the expiry level Rust sent, not one of its own (issue #13)', async () => {
    // 40 days left: the UI's old rule said "Renew soon" (under 45); the one rule in Rust says
    // valid, as the notification and the help-desk report do.
    fakeCommands({ list_identities: () => [{ ...alice, expires_in_days: 40, expiry: 'ok' }] });
    await renderLoaded();
    const list = await screen.findByRole('list', { name: 'My certificates' });
    expect(within(list).getByText('Valid: expires in 40 days')).toBeTruthy();
  });

  it('lists each identity with issuer, status and expiry in words', async () => {
    fakeCommands({ list_identities: () => [alice, bob] });
    await renderLoaded();

    expect(screen.getByRole('heading', { level: 1, name: 'My certificates' })).toBeTruthy();
    const list = await screen.findByRole('list', { name: 'My certificates' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(2);

    const [first, second] = items as [HTMLElement, HTMLElement];
    const issued = within(first);
    expect(issued.getByRole('heading', { level: 2, name: 'Alice at Example' })).toBeTruthy();
    expect(issued.getByText('Example Issuing CA')).toBeTruthy();
    expect(issued.getByText('ECDSA P-256')).toBeTruthy();
    expect(issued.getByText('Ready · Installed in Chromium / Google Chrome')).toBeTruthy();
    expect(issued.getByText('Renew now: expires in 10 days')).toBeTruthy();

    const pending = within(second);
    expect(pending.getByRole('heading', { level: 2, name: 'Bob VPN' })).toBeTruthy();
    expect(pending.getByText('Waiting for the certificate')).toBeTruthy();
    expect(pending.getByText('Waiting')).toBeTruthy();
    expect(pending.queryByText(/expires/)).toBeNull();
  });

  it('names each list item after its identity', async () => {
    fakeCommands({ list_identities: () => [alice, bob] });
    await renderLoaded();

    expect(await screen.findByRole('listitem', { name: 'Bob VPN' })).toBeTruthy();
  });

  it('says so when there are no certificates, and offers the three actions', async () => {
    fakeCommands({ list_identities: () => [] });
    await renderLoaded();

    expect(await screen.findByText('You have no certificates yet.')).toBeTruthy();
    expect(screen.queryByRole('list')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    const actions = screen.getByRole('group', { name: 'What do you want to do?' });
    expect(within(actions).getAllByRole('button').map((b) => b.textContent)).toEqual([
      'Get a certificate',
      'Check a site',
      'Open a help-desk profile',
    ]);
  });

  it('calls back for each action and opens details by keyboard', async () => {
    fakeCommands({ list_identities: () => [alice] });
    const home = new HomeState();
    const opened: string[] = [];
    let got = 0;
    let profiles = 0;
    render(Home, {
      home,
      t: en,
      onget: () => (got += 1),
      onprofile: () => (profiles += 1),
      onopen: (id: string) => opened.push(id),
    });
    await home.load();
    const user = userEvent.setup();

    await user.click(screen.getByRole('button', { name: 'Get a certificate' }));
    expect(got).toBe(1);
    screen.getByRole('button', { name: 'Details of Alice at Example' }).focus();
    await user.keyboard('{Enter}');
    expect(opened).toEqual(['a1']);

    await user.click(screen.getByRole('button', { name: 'Open a help-desk profile' }));
    expect(profiles).toBe(1);
  });

  it('shows a failed load as an alert with message and hint, and retries', async () => {
    let fail = true;
    fakeCommands({
      list_identities: () => (fail ? rejectWith(wrongPassword) : [alice]),
    });
    await renderLoaded();

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('Wrong password')).toBeTruthy();
    expect(within(alert).getByText(wrongPassword.message)).toBeTruthy();
    expect(within(alert).getByText('unlock your keyring and try again')).toBeTruthy();
    expect(screen.queryByText('You have no certificates yet.')).toBeNull();

    fail = false;
    const user = userEvent.setup();
    const retry = within(alert).getByRole('button', { name: 'Try again' });
    // Keyboard only: the three actions come first, then the alert's button.
    await user.tab();
    await user.tab();
    await user.tab();
    await user.tab();
    expect(document.activeElement).toBe(retry);
    await user.keyboard('{Enter}');

    expect(await screen.findByRole('listitem', { name: 'Alice at Example' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('tells that it is loading in a status region', async () => {
    let answer: (rows: unknown) => void = () => undefined;
    fakeCommands({
      list_identities: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    });
    const home = new HomeState();
    render(Home, { home, t: en });

    const loading = home.load();
    expect((await screen.findByRole('status')).textContent).toBe('Loading your certificates…');
    answer([]);
    await loading;
    await screen.findByText('You have no certificates yet.');
    expect(screen.getByRole('status').textContent).toBe('');
  });

  it('speaks German when asked to', async () => {
    fakeCommands({ list_identities: () => [alice, bob] });
    await renderLoaded(messagesFor('de-AT'));

    expect(screen.getByRole('heading', { level: 1, name: 'Meine Zertifikate' })).toBeTruthy();
    expect(await screen.findByText('Jetzt erneuern: läuft in 10 Tagen ab')).toBeTruthy();
    expect(screen.getByText('Wartet auf das Zertifikat')).toBeTruthy();
  });
});
