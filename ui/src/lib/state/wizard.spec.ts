import { describe, expect, it, vi } from 'vitest';
import {
  accepted,
  chromium,
  firefox,
  issuedAda,
  issuedResult,
  pendingAda,
  practice,
  staffProfile,
  untrusted,
} from '../../test/fixtures';
import { fakeCommands, rejectWith, sendProgress, withoutChannel } from '../../test/ipc';
import { STEPS, WizardState } from './wizard.svelte';

function atSend(source: 'practice' | 'est' | 'email' | 'portal'): WizardState {
  const wizard = new WizardState();
  wizard.chooseSource(source);
  if (source === 'portal') wizard.portalUrl = ' https://ca.example.edu/submit ';
  wizard.next();
  wizard.name = '  Ada Lovelace ';
  wizard.next();
  return wizard;
}

describe('WizardState', () => {
  it('follows the step table in order', () => {
    expect(STEPS.map((s) => s.id)).toEqual(['source', 'about', 'send', 'receive', 'install', 'test']);
    const wizard = new WizardState();
    expect(wizard.step.id).toBe('source');
    expect(wizard.isFirst).toBe(true);
    expect(wizard.back()).toBe(false);
  });

  it('needs a source before "About you"', () => {
    const wizard = new WizardState();
    expect(wizard.canContinue).toBe(false);
    expect(wizard.next()).toBe(false);
    wizard.chooseSource('practice');
    expect(wizard.next()).toBe(true);
    expect(wizard.step.id).toBe('about');
  });

  it('needs a name and, when given, a plausible email', () => {
    const wizard = new WizardState();
    wizard.chooseSource('email');
    wizard.next();
    wizard.name = '   ';
    expect(wizard.canContinue).toBe(false);
    wizard.name = 'Ada';
    wizard.email = 'ada at example';
    expect(wizard.emailValid).toBe(false);
    expect(wizard.next()).toBe(false);
    wizard.email = 'ada@example.org';
    expect(wizard.next()).toBe(true);
    expect(wizard.step.id).toBe('send');
    expect(wizard.back()).toBe(true);
    expect(wizard.step.id).toBe('about');
  });

  it('practice path: request, practice CA, enrollment, stores, site check', async () => {
    const seen: Record<string, unknown>[] = [];
    const calls = fakeCommands({
      create_request: (args) => {
        seen.push(args);
        sendProgress(args, 'generating_key');
        return pendingAda;
      },
      start_practice: () => practice,
      enroll_practice: (args) => {
        seen.push(args);
        return issuedResult;
      },
      list_stores: () => [chromium, firefox],
      check_site: (args) => {
        seen.push(args);
        return accepted;
      },
    });
    const wizard = atSend('practice');
    expect(wizard.canContinue).toBe(false);

    await wizard.send();

    expect(wizard.error).toBeNull();
    expect(wizard.identity).toEqual(issuedAda);
    expect(wizard.practice).toEqual(practice);
    expect(seen[0]).toMatchObject({
      spec: { name: 'Ada Lovelace', email: null, organization: null, key_type: 'ec-p256' },
    });
    expect(seen[1]).toMatchObject({ id: 'ad4' });
    expect(wizard.next()).toBe(true); // receive
    expect(wizard.next()).toBe(true); // install
    await wizard.settled();
    expect(wizard.stores).toEqual([chromium, firefox]);
    expect(wizard.chosenStores).toEqual([chromium.key]); // Firefox already has it
    expect(wizard.next()).toBe(true); // test
    expect(wizard.siteUrl).toBe(practice.site_url);
    expect(wizard.isLast).toBe(true);
    expect(wizard.canContinue).toBe(false);

    await wizard.checkSite();

    expect(wizard.check).toEqual(accepted);
    expect(seen[2]).toMatchObject({ url: practice.site_url, id: 'ad4' });
    expect(calls.filter((c) => c === 'create_request')).toHaveLength(1);
  });

  it('keeps the waiting request when sending fails, and sends it again without a new key', async () => {
    let fail = true;
    const calls = fakeCommands({
      create_request: () => pendingAda,
      start_practice: () => practice,
      enroll_practice: () =>
        fail
          ? rejectWith({ kind: 'network', message: 'connection refused', hint: 'try again', server_ca: null })
          : issuedResult,
    });
    const wizard = atSend('practice');

    await wizard.send();
    expect(wizard.error?.kind).toBe('network');
    expect(wizard.identity).toEqual(pendingAda);
    expect(wizard.canContinue).toBe(false);

    fail = false;
    await wizard.send();
    expect(wizard.error).toBeNull();
    expect(wizard.identity?.status).toBe('issued');
    expect(calls.filter((c) => c === 'create_request')).toHaveLength(1);
    expect(calls.filter((c) => c === 'start_practice')).toHaveLength(1);
  });

  it('EST: an unknown server CA becomes a question, and yes pins its fingerprint', async () => {
    const estArgs: Record<string, unknown>[] = [];
    fakeCommands({
      create_request: () => pendingAda,
      enroll_est: (args) => {
        estArgs.push(args);
        return args.trustSha256 ? issuedResult : rejectWith(untrusted);
      },
    });
    const wizard = atSend('est');
    wizard.estUrl = ' https://est.example.org ';
    wizard.estCode = 'one-time';

    await wizard.send();
    expect(wizard.trustQuestion).toEqual(untrusted.server_ca);
    expect(wizard.error?.kind).toBe('untrusted_server');

    await wizard.trustServer();
    expect(wizard.trustQuestion).toBeNull();
    expect(wizard.identity?.status).toBe('issued');
    expect(estArgs[1]).toMatchObject({
      id: 'ad4',
      url: 'https://est.example.org',
      code: 'one-time',
      user: null,
      trustSha256: '12:34:56',
    });
  });

  it('EST: a held request may leave "Create and send" but not "Receive"', async () => {
    fakeCommands({
      create_request: () => pendingAda,
      enroll_est: () => ({ identity: pendingAda, retry_after_secs: 60, warnings: [] }),
      resume_enrollment: () => issuedResult,
    });
    const wizard = atSend('est');
    wizard.estUrl = 'https://est.example.org';
    await wizard.send();
    expect(wizard.retryAfterSecs).toBe(60);
    expect(wizard.next()).toBe(true);
    expect(wizard.step.id).toBe('receive');
    expect(wizard.canContinue).toBe(false);

    await wizard.askAgain();
    expect(wizard.retryAfterSecs).toBeNull();
    expect(wizard.canContinue).toBe(true);
  });

  it('email: shows the request, then waits for a reply file', async () => {
    let picked: unknown = null;
    const importArgs: Record<string, unknown>[] = [];
    fakeCommands({
      create_request: () => pendingAda,
      request_text: () => ({ pem: '-----BEGIN CERTIFICATE REQUEST-----', sha256: 'CC:DD' }),
      save_email_request: (args) => {
        importArgs.push(args);
        return '/home/ada/Ada Lovelace certificate request.eml';
      },
      import_reply: (args) => {
        importArgs.push(args);
        return picked;
      },
    });
    const wizard = atSend('email');
    await wizard.send();
    expect(wizard.request?.sha256).toBe('CC:DD');
    await wizard.saveEmail();
    expect(wizard.emailFile).toBe('/home/ada/Ada Lovelace certificate request.eml');
    expect(wizard.next()).toBe(true);
    expect(wizard.canContinue).toBe(false);

    await wizard.importFile('picker'); // the picker was closed
    expect(wizard.identity?.status).toBe('pending');
    expect(wizard.error).toBeNull();

    wizard.fileDropped(['reply.p7b']);
    expect(wizard.droppedFile).toBe('reply.p7b');
    picked = { identity: issuedAda, warnings: ['no client authentication usage'], already_imported: false };
    await wizard.importFile('dropped');
    expect(importArgs[0]).toEqual({ id: 'ad4', to: null });
    expect(importArgs[2]).toEqual({ source: 'dropped', id: 'ad4' });
    expect(wizard.identity?.status).toBe('issued');
    expect(wizard.warnings).toEqual(['no client authentication usage']);
    expect(wizard.droppedFile).toBeNull();
    expect(wizard.canContinue).toBe(true);
  });

  it('cancel stops waiting and drops the late answer; back is blocked while busy', async () => {
    let answer: (value: unknown) => void = () => undefined;
    fakeCommands({
      create_request: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    });
    const wizard = atSend('practice');
    const sending = wizard.send();
    expect(wizard.busy).not.toBeNull();
    expect(wizard.back()).toBe(false);
    expect(wizard.canContinue).toBe(false);

    wizard.cancel();
    expect(wizard.busy).toBeNull();
    answer(pendingAda);
    await sending;
    expect(wizard.identity).toBeNull();
    expect(wizard.error).toBeNull();
  });

  it('the source is fixed once the request exists', async () => {
    fakeCommands({ create_request: () => pendingAda, request_text: () => ({ pem: 'x', sha256: 'y' }) });
    const wizard = atSend('email');
    await wizard.send();
    wizard.chooseSource('practice');
    expect(wizard.source).toBe('email');
  });

  it('installs the chosen stores and reads them again', async () => {
    const installArgs: Record<string, unknown>[] = [];
    let installed = false;
    fakeCommands({
      list_stores: () => [{ ...chromium, installed }],
      install_identity: (args) => {
        installArgs.push(args);
        installed = true;
        return [{ store: chromium.name, already_installed: false, warnings: [] }];
      },
    });
    const wizard = WizardState.atInstall(issuedAda);
    expect(wizard.step.id).toBe('install');
    await wizard.settled();
    wizard.toggleStore(chromium.key, false);
    expect(wizard.chosenStores).toEqual([]);
    wizard.toggleStore(chromium.key, true);

    await wizard.install();

    expect(installArgs[0]).toMatchObject({ id: 'ad4', stores: [chromium.key] });
    expect(wizard.installResults).toHaveLength(1);
    expect(wizard.stores[0]?.installed).toBe(true);
  });

  it('asks again by itself when the server said "later"', async () => {
    vi.useFakeTimers();
    try {
      let polls = 0;
      fakeCommands({
        create_request: () => pendingAda,
        enroll_est: () => ({ identity: pendingAda, retry_after_secs: 30, warnings: [] }),
        resume_enrollment: () => {
          polls += 1;
          return issuedResult;
        },
      });
      const wizard = atSend('est');
      wizard.estUrl = 'https://est.example.org';
      await wizard.send();
      await vi.advanceTimersByTimeAsync(29_000);
      expect(polls).toBe(0);
      await vi.advanceTimersByTimeAsync(1_000);
      await wizard.settled();
      expect(polls).toBe(1);
      expect(wizard.identity?.status).toBe('issued');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(polls).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a help-desk profile fills in the form, pins the server and says where to test', async () => {
    const profile = staffProfile;
    const seen: Record<string, Record<string, unknown>> = {};
    fakeCommands({
      open_profile: () => profile,
      create_request_from_profile: (args) => {
        seen.create = args;
        return pendingAda;
      },
      enroll_est: (args) => {
        seen.est = args;
        return issuedResult;
      },
    });
    const wizard = new WizardState();
    await wizard.openProfile();
    expect(wizard.source).toBe('profile');
    expect(wizard.method).toBe('est');
    expect(wizard.email).toBe('ada@example.org');
    expect(wizard.keyType).toBe('rsa-3072');
    expect(wizard.next()).toBe(true);
    wizard.name = 'Ada Lovelace';
    expect(wizard.next()).toBe(true);
    wizard.estCode = 'one-time';

    await wizard.send();

    expect(seen.create).toMatchObject({ spec: { name: 'Ada Lovelace', organization: 'Example Corp' } });
    expect(seen.est).toMatchObject({
      url: 'https://est.example.org',
      label: 'staff',
      user: 'ada',
      code: 'one-time',
      trustSha256: '3F:9A',
    });
    expect(wizard.identity?.status).toBe('issued');
    expect(wizard.siteUrl).toBe('https://intranet.example.org/');
  });

  it('portal: cannot leave "Where from" without an https:// page address', () => {
    const wizard = new WizardState();
    wizard.chooseSource('portal');
    expect(wizard.method).toBe('portal');
    for (const url of ['', 'http://ca.example.edu/submit', 'ca.example.edu', 'https://', 'https://ca example']) {
      wizard.portalUrl = url;
      expect(wizard.portalUrlValid).toBe(false);
      expect(wizard.next()).toBe(false);
    }
    wizard.portalUrl = ' https://ca.example.edu/submit ';
    expect(wizard.next()).toBe(true);
    expect(wizard.step.id).toBe('about');
  });

  it('portal: sends the page, the upload way and the field; an unknown CA becomes the trust question', async () => {
    const portalArgs: Record<string, unknown>[] = [];
    const calls = fakeCommands({
      create_request: () => pendingAda,
      enroll_portal: (args) => {
        portalArgs.push(withoutChannel(args));
        return args.trustSha256 ? issuedResult : rejectWith(untrusted);
      },
    });
    const wizard = atSend('portal');
    expect(wizard.portalField).toBe('csr');
    wizard.portalUpload = 'multipart';
    wizard.portalField = ' CertRequest ';
    wizard.portalUser = ' ada ';
    wizard.portalCode = 'pass word';

    await wizard.send();
    expect(wizard.error?.kind).toBe('untrusted_server');
    expect(wizard.trustQuestion).toEqual(untrusted.server_ca);
    expect(wizard.canContinue).toBe(false);

    await wizard.trustServer();
    expect(wizard.trustQuestion).toBeNull();
    expect(wizard.identity?.status).toBe('issued');
    expect(wizard.canContinue).toBe(true);
    const expected = {
      id: 'ad4',
      url: 'https://ca.example.edu/submit',
      upload: 'multipart',
      field: 'CertRequest',
      user: 'ada',
      code: 'pass word',
      token: null,
    };
    expect(portalArgs).toEqual([
      { ...expected, trustSha256: null },
      { ...expected, trustSha256: '12:34:56' },
    ]);
    expect(calls.filter((c) => c === 'create_request')).toHaveLength(1);
  });

  it('portal: a raw upload sends no field name, and no credentials when none were typed', async () => {
    const portalArgs: Record<string, unknown>[] = [];
    fakeCommands({
      create_request: () => pendingAda,
      enroll_portal: (args) => {
        portalArgs.push(withoutChannel(args));
        return { identity: pendingAda, retry_after_secs: 120, warnings: [] };
      },
    });
    const wizard = atSend('portal');
    wizard.portalUpload = 'der';

    await wizard.send();
    wizard.stopPolling();

    expect(portalArgs[0]).toEqual({
      id: 'ad4',
      url: 'https://ca.example.edu/submit',
      upload: 'der',
      field: null,
      user: null,
      code: null,
      token: null,
      trustSha256: null,
    });
    expect(wizard.retryAfterSecs).toBe(120);
    expect(wizard.next()).toBe(true);
    expect(wizard.step.id).toBe('receive');
  });

  it('a portal profile fills in the page, the upload way and the field, and sends a token as a token', async () => {
    let answer: unknown = null;
    const portalArgs: Record<string, unknown>[] = [];
    fakeCommands({
      open_profile: () => answer,
      create_request_from_profile: () => pendingAda,
      enroll_portal: (args) => {
        portalArgs.push(withoutChannel(args));
        return issuedResult;
      },
    });
    const wizard = new WizardState();
    await wizard.openProfile();
    expect(wizard.source).toBeNull(); // a closed picker changes nothing
    answer = {
      method: 'portal',
      url: 'https://ca.example.edu/certsrv/submit',
      upload: 'multipart',
      field: 'file',
      auth: 'token',
      username: null,
      ca_sha256: 'AB:CD',
      sites: [],
      default_key: 'rsa-3072',
    };
    await wizard.openProfile();
    expect(wizard.method).toBe('portal');
    expect(wizard.portalUrl).toBe('https://ca.example.edu/certsrv/submit');
    expect(wizard.portalUpload).toBe('multipart');
    expect(wizard.portalField).toBe('file');
    expect(wizard.portalTakesToken).toBe(true);
    expect(wizard.next()).toBe(true);
    wizard.name = 'Ada Lovelace';
    expect(wizard.next()).toBe(true);
    wizard.portalCode = ' tok-123 ';

    await wizard.send();

    expect(portalArgs[0]).toEqual({
      id: 'ad4',
      url: 'https://ca.example.edu/certsrv/submit',
      upload: 'multipart',
      field: 'file',
      user: null,
      code: null,
      token: 'tok-123',
      trustSha256: 'AB:CD',
    });
    expect(wizard.identity?.status).toBe('issued');
  });
});
