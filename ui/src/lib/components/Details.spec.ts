import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { CertificateStatus, IdentityDetails, RenewResult } from '../api';
import { accepted, issuedAda, issuedResult } from '../../test/fixtures';
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

  it('says where the key lives: on the security key, or in the wallet', async () => {
    renderDetails({
      identity_details: () => ({ ...details, row: { ...details.row, key_on_token: "Ada's key" } }),
    });
    expect(await screen.findByText('on the security key “Ada\'s key” (it cannot be copied)')).toBeTruthy();
  });

  it('says the key is in the wallet when it is not on a token', async () => {
    renderDetails({});
    expect(await screen.findByText('in the wallet on this computer (encrypted)')).toBeTruthy();
  });

  it('renews, then says which stores now hold the new certificate and what the sites said', async () => {
    const renewal: RenewResult = {
      enrollment: issuedResult,
      stores: [
        { store: 'Chromium / Google Chrome', error: null },
        {
          store: 'Firefox (default)',
          error: { kind: 'store', message: 'the NSS database is read-only', hint: 'check permissions', server_ca: null },
        },
      ],
      site_checks: [{ url: 'https://intranet.example/', check: accepted, error: null }],
    };
    const { calls } = renderDetails({ renew_identity: () => renewal });
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Renew now' }));
    expect(await screen.findByText('Renewed: the new certificate replaces the old one in certdesk.')).toBeTruthy();
    expect(screen.getByText('Chromium / Google Chrome: the new certificate replaced the old one.')).toBeTruthy();
    expect(screen.getByText('Firefox (default): not updated. Install it there again.')).toBeTruthy();
    expect(screen.getByText('the NSS database is read-only')).toBeTruthy();
    expect(screen.getByText(`https://intranet.example/: ${accepted.sentence}`)).toBeTruthy();
    expect(calls).toContain('renew_identity');
  });

  it('says so when the old certificate was installed nowhere, and when the renewal waits', async () => {
    let answer: RenewResult = { enrollment: issuedResult, stores: [], site_checks: [] };
    renderDetails({ renew_identity: () => answer });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Renew now' }));
    expect(await screen.findByText(/was not installed in any browser or store here/)).toBeTruthy();
    answer = { ...answer, enrollment: { ...issuedResult, retry_after_secs: 60 } };
    await user.click(screen.getByRole('button', { name: 'Renew now' }));
    expect(await screen.findByText(/holds the renewal for approval/)).toBeTruthy();
    expect(screen.queryByText(/was not installed in any browser/)).toBeNull();
  });

  it('shows revocation status per source: revoked with its date and reason, unknown with why', async () => {
    const status: CertificateStatus = {
      overall: 'revoked',
      expiry_sentence: 'Valid until 2027-02-20 (89 days).',
      sources: [
        { source: 'crl', url: 'http://127.0.0.1:8080/ca.crl', state: 'revoked', revoked_on: '2026-11-20', reason: 'keyCompromise', detail: null },
        { source: 'ocsp', url: null, state: 'unknown', revoked_on: null, reason: null, detail: 'the certificate names no OCSP responder' },
      ],
    };
    const { calls } = renderDetails({ certificate_status: () => status });
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Check revocation status' }));
    const section = await screen.findByRole('region', { name: 'Revocation status' });
    expect(within(section).getByText(/REVOKED: do not use this certificate/)).toBeTruthy();
    expect(within(section).getByText(/revoked on 2026-11-20 \(keyCompromise\)/)).toBeTruthy();
    expect(within(section).getByText('unknown: the certificate names no OCSP responder')).toBeTruthy();
    expect(calls).toContain('certificate_status');
  });

  // The question is a native dialog shown by Rust (delete_identity answers whether the person
  // said yes); the page asks nothing itself.
  it('leaves the page only when the native question was answered yes', async () => {
    const { calls, removed } = renderDetails({ delete_identity: () => true });
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Remove…' }));
    await waitFor(() => {
      expect(removed).toEqual(['home']);
    });
    expect(calls).toContain('delete_identity');
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('stays when the person kept it in the native question', async () => {
    const { calls, removed } = renderDetails({ delete_identity: () => false });
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Remove…' }));
    await waitFor(() => {
      expect(calls).toContain('delete_identity');
    });
    expect(removed).toEqual([]);
    expect(screen.getByRole('button', { name: 'Remove…' })).toBeTruthy();
  });
});
