import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { IdentityDetails } from '../api';
import { issuedAda, issuedResult } from '../../test/fixtures';
import { fakeCommands } from '../../test/ipc';
import { messagesFor } from '../i18n';
import { DetailsState } from '../state/details.svelte';
import Details from './Details.svelte';

const en = messagesFor('en');

const details: IdentityDetails = {
  row: { ...issuedAda, installed_in: ['Chromium / Google Chrome'] },
  validity_words: 'expires in 89 days',
  issuer_dn: 'CN=certdesk Practice CA',
  serial: '01:02',
  not_before: '2026-11-22T13:00:00Z',
  not_after: '2027-02-20T13:00:00Z',
  uses: ['client authentication'],
  alt_names: [],
  sha256: 'AA:BB',
  sha1: 'CC:DD',
  problems: [],
  fit_for_client_auth: true,
  chain: ['CN=certdesk Practice CA'],
  request_sha256: 'EE:FF',
  created: '2026-11-22T13:00:00Z',
};

function renderDetails(commands: Record<string, (args: Record<string, unknown>) => unknown>) {
  const calls = fakeCommands({ identity_details: () => details, ...commands });
  const removed: string[] = [];
  const checked: string[] = [];
  render(Details, {
    state: new DetailsState('ad4'),
    t: en,
    oncheck: (id: string) => checked.push(id),
    oninstall: () => undefined,
    onremoved: () => removed.push('home'),
  });
  return { calls, removed, checked };
}

describe('Details', () => {
  it('shows everything in words and offers the actions', async () => {
    const { checked } = renderDetails({});
    expect(await screen.findAllByText('CN=certdesk Practice CA', { selector: 'dd' })).toHaveLength(2); // issuer and chain
    expect(screen.getByText('Valid: expires in 89 days')).toBeTruthy();
    expect(screen.getByText('Chromium / Google Chrome')).toBeTruthy();
    expect(screen.getByText('client authentication')).toBeTruthy();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Test a site with it' }));
    expect(checked).toEqual(['ad4']);
  });

  it('renews through renew_identity and says so', async () => {
    const { calls } = renderDetails({ renew_identity: () => issuedResult });
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Renew now' }));
    expect(await screen.findByText(/Renewed: the new certificate replaces the old one/)).toBeTruthy();
    expect(calls).toContain('renew_identity');
  });

  it('asks before removing, and removes only on yes', async () => {
    const { calls, removed } = renderDetails({ delete_identity: () => null });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Remove' }));
    const question = screen.getByRole('alertdialog');
    expect(calls).not.toContain('delete_identity');
    await user.click(within(question).getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Remove' }));
    await user.click(screen.getByRole('button', { name: 'Yes, remove it' }));
    await waitFor(() => {
      expect(removed).toEqual(['home']);
    });
    expect(calls).toContain('delete_identity');
  });
});
