import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { accepted, chromium, issuedResult, pendingAda, practice, rejected, untrusted } from '../../test/fixtures';
import { fakeCommands, rejectWith, sendProgress, withoutChannel } from '../../test/ipc';
import { messagesFor } from '../i18n';
import { WizardState } from '../state/wizard.svelte';
import CheckSite from './CheckSite.svelte';
import Wizard from './Wizard.svelte';
import { CheckState } from '../state/check.svelte';

const en = messagesFor('en');
const de = messagesFor('de-DE');

function practiceBackend(site = accepted): string[] {
  return fakeCommands({
    create_request: (args) => {
      sendProgress(args, 'generating_key');
      return pendingAda;
    },
    start_practice: () => practice,
    enroll_practice: () => issuedResult,
    list_stores: () => [chromium],
    install_identity: () => [{ store: chromium.name, already_installed: false, warnings: [] }],
    check_site: () => site,
  });
}

describe('Wizard', () => {
  it('walks the practice path by keyboard and role, with focus on each step heading', async () => {
    const calls = practiceBackend();
    const wizard = new WizardState();
    let closed = false;
    render(Wizard, { wizard, t: en, onclose: () => (closed = true) });
    const user = userEvent.setup();

    const steps = screen.getByRole('navigation', { name: 'Steps' });
    expect(within(steps).getAllByRole('listitem')).toHaveLength(6);
    const heading = screen.getByRole('heading', { level: 2, name: 'Where does your certificate come from?' });
    await waitFor(() => {
      expect(document.activeElement).toBe(heading);
    });
    const next = screen.getByRole('button', { name: 'Continue' });
    expect((next as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole<HTMLInputElement>('radio', { name: /A web page of my organisation/ }).disabled).toBe(false);

    await user.click(screen.getByRole('radio', { name: 'Try it now with the practice CA' }));
    await user.click(next);

    await waitFor(() => {
      expect(document.activeElement).toBe(screen.getByRole('heading', { level: 2, name: 'About you' }));
    });
    await user.type(screen.getByLabelText('Your full name'), 'Ada Lovelace{Enter}');

    expect(screen.getByRole('heading', { level: 2, name: 'Create and send your request' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Create and send' }));
    expect(await screen.findByText('Your certificate has been issued.')).toBeTruthy();
    expect(screen.getByText(practice.demo_code)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    expect(screen.getByText('Your certificate is here and matched to your key.')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    const chromiumBox = await screen.findByRole('checkbox', { name: 'Chromium / Google Chrome' });
    expect((chromiumBox as HTMLInputElement).checked).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Install' }));
    expect(await screen.findByText('Installed in Chromium / Google Chrome.')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    const url = screen.getByLabelText('Address of the site');
    expect((url as HTMLInputElement).value).toBe(practice.site_url);
    await user.click(screen.getByRole('button', { name: 'Check the site' }));
    expect(await screen.findByText('127.0.0.1 accepted your certificate.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Result: Accepted' })).toBeTruthy();
    expect(screen.getByText('Hello, Ada Lovelace')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(closed).toBe(true);
    expect(calls).toEqual(
      expect.arrayContaining(['create_request', 'start_practice', 'enroll_practice', 'install_identity', 'check_site']),
    );
  });

  it('shows a rejection as the sentence plus each finding with its remedy', async () => {
    practiceBackend(rejected);
    const wizard = new WizardState();
    wizard.chooseSource('practice');
    wizard.next();
    wizard.name = 'Ada';
    wizard.next();
    await wizard.send();
    wizard.next();
    wizard.next();
    await wizard.settled(); // the install step reads the stores
    wizard.next();
    render(Wizard, { wizard, t: en, onclose: () => undefined });
    const user = userEvent.setup();

    await user.click(screen.getByRole('button', { name: 'Check the site' }));

    expect(await screen.findByText('127.0.0.1 did not accept your certificate.')).toBeTruthy();
    const findings = screen.getByRole('list', { name: 'What we found' });
    const finding = within(findings).getByRole('listitem');
    expect(within(finding).getByText(/none was sent/)).toBeTruthy();
    expect(within(finding).getByText(/Choose a certificate from the CA the site accepts/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy report for the help desk' })).toBeTruthy();
  });

  it('shows an error with its message and hint, and keeps the step', async () => {
    fakeCommands({
      create_request: () =>
        rejectWith({
          kind: 'keyring',
          message: 'no OS keyring is reachable: org.freedesktop.secrets was not provided',
          hint: 'unlock or start your desktop keyring',
          server_ca: null,
        }),
    });
    const wizard = new WizardState();
    wizard.chooseSource('practice');
    wizard.next();
    wizard.name = 'Ada';
    wizard.next();
    render(Wizard, { wizard, t: en, onclose: () => undefined });
    const user = userEvent.setup();

    await user.click(screen.getByRole('button', { name: 'Create and send' }));

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('The system keyring is not available')).toBeTruthy();
    expect(within(alert).getByText(/no OS keyring is reachable/)).toBeTruthy();
    expect(within(alert).getByText('unlock or start your desktop keyring')).toBeTruthy();
    expect(wizard.step.id).toBe('send');
  });

  it('web page: address guard, upload way in plain words, trust question, exact IPC arguments', async () => {
    const portalArgs: Record<string, unknown>[] = [];
    fakeCommands({
      create_request: () => pendingAda,
      enroll_portal: (args) => {
        portalArgs.push(withoutChannel(args));
        return args.trustSha256 ? issuedResult : rejectWith(untrusted);
      },
    });
    const wizard = new WizardState();
    render(Wizard, { wizard, t: en, onclose: () => undefined });
    const user = userEvent.setup();
    const next = screen.getByRole<HTMLButtonElement>('button', { name: 'Continue' });

    await user.click(
      screen.getByRole('radio', { name: 'A web page of my organisation (upload or paste the request)' }),
    );
    expect(next.disabled).toBe(true);
    const address = screen.getByLabelText('Address of the page');
    await user.type(address, 'http://ca.example.edu/submit');
    expect(screen.getByText(/must start with https:\/\//)).toBeTruthy();
    expect(address.getAttribute('aria-invalid')).toBe('true');
    expect(next.disabled).toBe(true);
    await user.clear(address);
    await user.type(address, 'https://ca.example.edu/submit');
    expect(address.getAttribute('aria-invalid')).toBe('false');
    expect(next.disabled).toBe(false);

    const ways = screen.getByRole('group', { name: 'How does the page take the request?' });
    expect(within(ways).getAllByRole('radio')).toHaveLength(4);
    const pasteBox = screen.getByRole<HTMLInputElement>('radio', { name: 'It has a box to paste the request into' });
    expect(pasteBox.checked).toBe(true);
    await user.click(screen.getByRole('radio', { name: 'It has a button to upload the request file' }));
    await user.click(screen.getByText('Advanced'));
    const field = screen.getByLabelText<HTMLInputElement>('Name of the box or upload field');
    expect(field.value).toBe('csr');
    await user.clear(field);
    await user.type(field, 'upload{Enter}'); // Enter submits: on to "About you"

    await waitFor(() => {
      expect(document.activeElement).toBe(screen.getByRole('heading', { level: 2, name: 'About you' }));
    });
    await user.type(screen.getByLabelText('Your full name'), 'Ada Lovelace{Enter}');

    expect(screen.getByText('https://ca.example.edu/submit')).toBeTruthy();
    await user.type(screen.getByLabelText('User name (if the page asks for one)'), 'ada');
    await user.type(screen.getByLabelText('Password or code (if the page asks for one)'), 's3cret');
    await user.click(screen.getByRole('button', { name: 'Create and send' }));

    const question = await screen.findByRole('alertdialog', { name: 'Do you trust this enrollment server?' });
    expect(within(question).getByText('12:34:56')).toBeTruthy();
    await user.click(within(question).getByRole('button', { name: 'Yes, the fingerprint matches' }));

    expect(await screen.findByText('Your certificate has been issued.')).toBeTruthy();
    const expected = {
      id: 'ad4',
      url: 'https://ca.example.edu/submit',
      upload: 'multipart',
      field: 'upload',
      user: 'ada',
      code: 's3cret',
      token: null,
    };
    expect(portalArgs).toEqual([
      { ...expected, trustSha256: null },
      { ...expected, trustSha256: '12:34:56' },
    ]);
    expect(next.disabled).toBe(false);
  });

  it('speaks German on the main flow', async () => {
    practiceBackend();
    render(Wizard, { wizard: new WizardState(), t: de, onclose: () => undefined });
    const user = userEvent.setup();
    expect(screen.getByRole('heading', { level: 2, name: 'Woher kommt Ihr Zertifikat?' })).toBeTruthy();
    await user.click(screen.getByRole('radio', { name: 'Jetzt ausprobieren mit der Übungs-CA' }));
    await user.click(screen.getByRole('button', { name: 'Weiter' }));
    expect(screen.getByLabelText('Ihr vollständiger Name')).toBeTruthy();
  });

  it('speaks German on the web-page path', async () => {
    render(Wizard, { wizard: new WizardState(), t: de, onclose: () => undefined });
    const user = userEvent.setup();
    await user.click(
      screen.getByRole('radio', { name: 'Eine Webseite meiner Organisation (Antrag hochladen oder einfügen)' }),
    );
    await user.type(screen.getByLabelText('Adresse der Seite'), 'http://x');
    expect(screen.getByText(/muss mit https:\/\/ beginnen/)).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Wie nimmt die Seite den Antrag an?' })).toBeTruthy();
    expect(screen.getByRole('radio', { name: 'Sie hat ein Feld, in das man den Antrag einfügt' })).toBeTruthy();
  });
});

describe('CheckSite', () => {
  it('checks any address without a certificate and shows the verdict', async () => {
    const args: Record<string, unknown>[] = [];
    fakeCommands({
      list_identities: () => [pendingAda, issuedResult.identity],
      check_site: (a) => {
        args.push(a);
        return rejected;
      },
    });
    const state = new CheckState();
    render(CheckSite, { state, t: en });
    const user = userEvent.setup();
    await waitFor(() => {
      expect(state.identities).toHaveLength(1);
    });

    const select = screen.getByLabelText('Certificate to show');
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'No certificate',
      'Ada Lovelace (certdesk Practice CA)',
    ]);
    await user.type(screen.getByLabelText('Address of the site'), 'https://127.0.0.1:40002/{Enter}');

    expect(await screen.findByText('127.0.0.1 did not accept your certificate.')).toBeTruthy();
    expect(args[0]).toMatchObject({ url: 'https://127.0.0.1:40002/', id: null });
  });
});
