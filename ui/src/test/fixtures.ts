import type { EnrollResult, IdentityRow, IpcError, PracticeInfo, ProfileView, SiteCheck, StoreView } from '../lib/api';

export const pendingAda: IdentityRow = {
  id: 'ad4',
  label: 'Ada Lovelace',
  status: 'pending',
  subject: 'CN=Ada Lovelace',
  issuer: null,
  key_type: 'ec-p256',
  key_description: 'ECDSA P-256',
  expires_in_days: null,
  expiry: null,
  installed_in: [],
  key_on_token: null,
};

export const issuedAda: IdentityRow = {
  ...pendingAda,
  status: 'issued',
  issuer: 'certdesk Practice CA',
  expires_in_days: 89,
  expiry: 'ok',
};

export const practice: PracticeInfo = {
  est_url: 'https://127.0.0.1:40001/.well-known/est/',
  site_url: 'https://127.0.0.1:40002/',
  demo_user: 'practice',
  demo_code: 'K3Y9-PQ7R',
  ca_sha256: 'AA:BB',
};

export const issuedResult: EnrollResult = { identity: issuedAda, retry_after_secs: null, warnings: [] };

export const chromium: StoreView = {
  key: 'Chromium (/home/ada/.pki/nssdb)',
  name: 'Chromium / Google Chrome',
  location: '/home/ada/.pki/nssdb',
  in_use: false,
  installed: false,
};

export const firefox: StoreView = {
  key: 'Firefox default (/home/ada/.mozilla/firefox/x.default)',
  name: 'Firefox (default)',
  location: '/home/ada/.mozilla/firefox/x.default',
  in_use: true,
  installed: true,
};

export const accepted: SiteCheck = {
  verdict: 'accepted',
  sentence: '127.0.0.1 accepted your certificate.',
  host: '127.0.0.1',
  findings: [],
  certificate_requested: true,
  certificate_sent: true,
  tls_version: 'TLSv1.3',
  http_status: 200,
  page_excerpt: 'Hello, Ada Lovelace',
  report: '{"verdict":"accepted"}',
};

export const rejected: SiteCheck = {
  verdict: 'rejected',
  sentence: '127.0.0.1 did not accept your certificate.',
  host: '127.0.0.1',
  findings: [
    {
      code: 'no_certificate_sent',
      severity: 'blocker',
      summary: 'The site asked for a certificate and none was sent.',
      detail: null,
      remedy: 'Choose a certificate from the CA the site accepts and check again.',
    },
  ],
  certificate_requested: true,
  certificate_sent: false,
  tls_version: 'TLSv1.3',
  http_status: null,
  page_excerpt: null,
  report: '{"verdict":"rejected"}',
};

export const untrusted: IpcError = {
  kind: 'untrusted_server',
  message: 'the server est.example.org presents a certificate from "CN=Example EST CA" that this computer does not trust',
  hint: 'compare this fingerprint with the one your help desk gave you',
  server_ca: { host: 'est.example.org', subject: 'CN=Example EST CA', sha256: '12:34:56' },
};

/** A help-desk profile for an EST server, as the wizard receives it. */
export const staffProfile: ProfileView = {
  name: 'Example Corp staff certificate',
  support: 'helpdesk@example.org',
  origin: 'file /home/ada/staff.toml',
  method: 'est',
  url: 'https://est.example.org',
  label: 'staff',
  upload: null,
  field: null,
  email_to: null,
  ca_sha256: '3F:9A',
  auth: 'one-time-code',
  username: 'ada',
  preset_name: null,
  name_locked: false,
  preset_email: 'ada@example.org',
  email_locked: true,
  organization: 'Example Corp',
  organizational_unit: 'Staff',
  allowed_keys: ['ec-p256', 'rsa-3072'],
  default_key: 'rsa-3072',
  sites: ['https://intranet.example.org/'],
};
