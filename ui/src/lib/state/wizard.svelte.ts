import {
  checkSite,
  createRequest,
  createRequestFromProfile,
  openProfile,
  enrollEst,
  enrollPortal,
  enrollPractice,
  exportP12,
  importReply,
  installIdentity,
  listStores,
  requestText,
  resumeEnrollment,
  saveEmailRequest,
  startPractice,
  toIpcError,
  type EnrollResult,
  type ExportedP12,
  type IdentityRow,
  type InstallResult,
  type IpcError,
  type Phase,
  type PortalUpload,
  type PracticeInfo,
  type ProfileView,
  type ReplySource,
  type RequestText,
  type ServerCa,
  type SiteCheck,
  type StoreView,
} from '../api';

/** Where the certificate comes from. */
export type Source = 'practice' | 'est' | 'email' | 'portal' | 'profile';

/** How the request travels (a profile says which). */
export type Method = 'practice' | 'est' | 'email' | 'portal';

export type StepId = 'source' | 'about' | 'send' | 'receive' | 'install' | 'test';

export interface StepDef {
  readonly id: StepId;
  /** May the person move on from this step? */
  readonly canLeave: (w: WizardState) => boolean;
  /** Work to start when the step is entered. */
  readonly onEnter?: (w: WizardState) => void;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The ways a web portal takes the request, in the order the wizard offers them. */
export const PORTAL_UPLOADS: readonly PortalUpload[] = ['form', 'multipart', 'pem', 'der'];

/** The wizard, in order. The components render whatever step this table says is current. */
export const STEPS: readonly StepDef[] = [
  {
    id: 'source',
    // A web page must be https:// (the Rust side refuses anything else, too).
    canLeave: (w) => w.method !== null && (w.method !== 'portal' || w.portalUrlValid),
  },
  { id: 'about', canLeave: (w) => w.name.trim() !== '' && w.emailValid },
  {
    id: 'send',
    // Practice and EST: the request went out (issued or waiting); email: the request exists.
    canLeave: (w) =>
      w.identity !== null &&
      (w.method === 'email' ? w.request !== null : w.identity.status === 'issued' || w.retryAfterSecs !== null),
  },
  { id: 'receive', canLeave: (w) => w.identity?.status === 'issued' },
  { id: 'install', canLeave: () => true, onEnter: (w) => void w.loadStores() },
  {
    id: 'test',
    canLeave: () => true,
    onEnter: (w) => {
      if (w.siteUrl === '' && w.practice) w.siteUrl = w.practice.site_url;
    },
  },
];

/** The state of one run of "Get a certificate". */
export class WizardState {
  stepIndex = $state(0);

  source: Source | null = $state(null);
  name = $state('');
  email = $state('');
  organization = $state('');
  unit = $state('');
  keyType = $state('ec-p256');
  advanced = $state(false);

  estUrl = $state('');
  estUser = $state('');
  estCode = $state('');
  portalUrl = $state('');
  portalUpload: PortalUpload = $state('form');
  portalField = $state('csr');
  portalUser = $state('');
  /** A password or code; a token when the profile says the page takes one. */
  portalCode = $state('');
  /** Set when the enrollment server's CA is unknown: the question to put to the person. */
  trustQuestion: ServerCa | null = $state(null);
  trustedSha256: string | null = $state(null);

  practice: PracticeInfo | null = $state(null);
  profile: ProfileView | null = $state(null);
  identity: IdentityRow | null = $state(null);
  request: RequestText | null = $state(null);
  /** Where the ready email was saved. */
  emailFile: string | null = $state(null);
  retryAfterSecs: number | null = $state(null);
  warnings: string[] = $state([]);
  droppedFile: string | null = $state(null);

  stores: StoreView[] = $state([]);
  chosenStores: string[] = $state([]);
  installResults: InstallResult[] = $state([]);
  compatible = $state(false);
  exported: ExportedP12 | null = $state(null);

  siteUrl = $state('');
  check: SiteCheck | null = $state(null);

  /** The operation running now (its phase once Rust reports one), or null. */
  busy: Phase | 'working' | null = $state(null);
  error: IpcError | null = $state(null);

  /** Bumped by `cancel()`: an answer from an older generation is dropped. */
  #generation = 0;

  /** A wizard for an identity that already has its certificate, opened at "Install". */
  static atInstall(identity: IdentityRow): WizardState {
    const wizard = new WizardState();
    wizard.identity = identity;
    wizard.name = identity.label;
    wizard.stepIndex = STEPS.findIndex((s) => s.id === 'install');
    wizard.step.onEnter?.(wizard);
    return wizard;
  }

  get step(): StepDef {
    const step = STEPS[this.stepIndex];
    if (!step) throw new Error(`no wizard step ${String(this.stepIndex)}`);
    return step;
  }

  get stepNumber(): number {
    return this.stepIndex + 1;
  }

  get isFirst(): boolean {
    return this.stepIndex === 0;
  }

  get isLast(): boolean {
    return this.stepIndex === STEPS.length - 1;
  }

  /** How the request travels: the source, or what the open profile says. */
  get method(): Method | null {
    if (this.source !== 'profile') return this.source;
    const method = this.profile?.method;
    return method === 'est' || method === 'email' || method === 'portal' ? method : null;
  }

  get emailValid(): boolean {
    const email = this.email.trim();
    return email === '' || EMAIL.test(email);
  }

  /** The portal address is an https:// page (not just the scheme). */
  get portalUrlValid(): boolean {
    const url = this.portalUrl.trim();
    return url.startsWith('https://') && url.length > 'https://'.length && !/\s/.test(url);
  }

  /** The profile says the page takes a bearer token rather than a user name and password. */
  get portalTakesToken(): boolean {
    return this.source === 'profile' && this.profile?.auth === 'token';
  }

  get canContinue(): boolean {
    return this.busy === null && !this.isLast && this.step.canLeave(this);
  }

  /** Moves on when the current step allows it; returns whether it moved. */
  next(): boolean {
    if (!this.canContinue) return false;
    this.stepIndex += 1;
    this.error = null;
    this.step.onEnter?.(this);
    return true;
  }

  back(): boolean {
    if (this.isFirst || this.busy !== null) return false;
    this.stepIndex -= 1;
    this.error = null;
    return true;
  }

  chooseSource(source: Source): void {
    if (this.identity !== null) return; // the request is made; its source stays
    this.source = source;
  }

  /** Opens a help-desk profile (file picker in Rust) and fills in what it says. */
  openProfile(): Promise<void> {
    if (this.identity !== null) return Promise.resolve();
    return this.#run(async (_progress, current) => {
      const profile = await openProfile();
      if (!current() || profile === null) return;
      this.useProfile(profile);
    });
  }

  /** A wizard on a profile Rust already opened (the one certdesk was started with). */
  static withProfile(profile: ProfileView): WizardState {
    const wizard = new WizardState();
    wizard.useProfile(profile);
    return wizard;
  }

  /** Fills in what an opened profile says, exactly as *Open a help-desk profile* does. */
  useProfile(profile: ProfileView): void {
    if (this.identity !== null) return;
    this.profile = profile;
    this.source = 'profile';
    this.name = profile.preset_name ?? this.name;
    this.email = profile.preset_email ?? this.email;
    this.organization = profile.organization ?? '';
    this.unit = profile.organizational_unit ?? '';
    this.keyType = profile.default_key;
    this.estUrl = profile.url ?? '';
    this.estUser = profile.username ?? '';
    this.portalUrl = profile.method === 'portal' ? (profile.url ?? '') : '';
    this.portalUpload = PORTAL_UPLOADS.find((u) => u === profile.upload) ?? 'form';
    this.portalField = profile.field ?? 'csr';
    this.portalUser = profile.username ?? '';
    // The profile's pin is the help desk's answer to "do you trust this server?".
    this.trustedSha256 = profile.ca_sha256;
    this.siteUrl = profile.sites[0] ?? '';
  }

  /** Stops waiting for the running operation: its answer is ignored when it comes. */
  cancel(): void {
    this.#generation += 1;
    this.busy = null;
  }

  #inFlight: Promise<void> = Promise.resolve();

  /** Resolves when the operation running now (if any) has finished. */
  settled(): Promise<void> {
    return this.#inFlight;
  }

  /** Runs `work` as the one operation in flight, recording its error. */
  #run(work: (progress: (phase: Phase) => void, current: () => boolean) => Promise<void>): Promise<void> {
    if (this.busy !== null) return this.#inFlight;
    this.#inFlight = this.#runNow(work);
    return this.#inFlight;
  }

  async #runNow(work: (progress: (phase: Phase) => void, current: () => boolean) => Promise<void>): Promise<void> {
    const generation = ++this.#generation;
    const current = () => generation === this.#generation;
    this.busy = 'working';
    this.error = null;
    try {
      await work((phase) => {
        if (current()) this.busy = phase;
      }, current);
    } catch (reason) {
      if (current()) this.error = toIpcError(reason);
    } finally {
      if (current()) this.busy = null;
    }
  }

  #onProgress(progress: (phase: Phase) => void) {
    return (event: { phase: Phase }) => {
      progress(event.phase);
    };
  }

  #pollTimer: ReturnType<typeof setTimeout> | null = null;

  #takeEnrollment(result: EnrollResult): void {
    this.identity = result.identity;
    this.retryAfterSecs = result.identity.status === 'issued' ? null : result.retry_after_secs;
    this.warnings = result.warnings;
    this.#schedulePoll();
  }

  /** A held request is asked for again when the server said to (5 s to 1 h); the wallet
   * records it, so closing the app loses nothing (Details → "Ask the server again"). */
  #schedulePoll(): void {
    this.stopPolling();
    if (this.retryAfterSecs === null) return;
    const delay = Math.min(Math.max(this.retryAfterSecs, 5), 3600) * 1000;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = null;
      void this.askAgain();
    }, delay);
  }

  /** Stops the automatic "ask again" (the wizard was closed). */
  stopPolling(): void {
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
  }

  /** Create and send: makes the key and request (once), then sends it the chosen way. */
  send(): Promise<void> {
    return this.#run(async (progress, current) => {
      const onProgress = this.#onProgress(progress);
      if (this.identity === null) {
        const spec = {
          name: this.name.trim(),
          email: this.email.trim() || null,
          organization: this.organization.trim() || null,
          organizational_unit: this.unit.trim() || null,
          key_type: this.keyType,
        };
        const identity =
          this.source === 'profile'
            ? await createRequestFromProfile(spec, onProgress)
            : await createRequest(spec, onProgress);
        if (!current()) return;
        this.identity = identity;
      }
      const id = this.identity.id;
      switch (this.method) {
        case 'practice': {
          this.practice ??= await startPractice(onProgress);
          if (!current()) return;
          const result = await enrollPractice(id, onProgress);
          if (current()) this.#takeEnrollment(result);
          return;
        }
        case 'est': {
          const result = await this.#askingTrust(() =>
            enrollEst(
              id,
              {
                url: this.estUrl.trim(),
                label: this.profile?.label ?? null,
                user: this.estUser.trim() || null,
                code: this.estCode || null,
                trustSha256: this.trustedSha256,
              },
              onProgress,
            ),
          );
          if (current()) this.#takeEnrollment(result);
          return;
        }
        case 'portal': {
          const token = this.portalTakesToken;
          const named = this.portalUpload === 'form' || this.portalUpload === 'multipart';
          const result = await this.#askingTrust(() =>
            enrollPortal(
              id,
              {
                url: this.portalUrl.trim(),
                upload: this.portalUpload,
                field: named ? this.portalField.trim() || null : null,
                user: token ? null : this.portalUser.trim() || null,
                code: token ? null : this.portalCode || null,
                token: token ? this.portalCode.trim() || null : null,
                trustSha256: this.trustedSha256,
              },
              onProgress,
            ),
          );
          if (current()) this.#takeEnrollment(result);
          return;
        }
        case 'email': {
          const request = await requestText(id);
          if (current()) this.request = request;
          return;
        }
        case null:
          return;
      }
    });
  }

  /** Sends through `enroll`; an unknown server CA becomes the trust question (then rethrown). */
  async #askingTrust(enroll: () => Promise<EnrollResult>): Promise<EnrollResult> {
    const generation = this.#generation;
    this.trustQuestion = null;
    try {
      return await enroll();
    } catch (reason) {
      const error = toIpcError(reason);
      if (generation === this.#generation && error.kind === 'untrusted_server' && error.server_ca) {
        this.trustQuestion = error.server_ca;
      }
      throw reason;
    }
  }

  /** Saves the request as a ready email (.eml) to open in the mail program and send. */
  saveEmail(): Promise<void> {
    const id = this.identity?.id;
    if (!id) return Promise.resolve();
    return this.#run(async (_progress, current) => {
      const file = await saveEmailRequest(id, this.profile?.email_to ?? null);
      if (current() && file !== null) this.emailFile = file;
    });
  }

  /** The person compared the fingerprint and said yes: send again pinning it. */
  trustServer(): Promise<void> {
    if (!this.trustQuestion) return Promise.resolve();
    this.trustedSha256 = this.trustQuestion.sha256;
    this.trustQuestion = null;
    return this.send();
  }

  distrustServer(): void {
    this.trustQuestion = null;
  }

  /** Asks the server again for a request it holds for approval. */
  askAgain(): Promise<void> {
    const id = this.identity?.id;
    if (!id) return Promise.resolve();
    return this.#run(async (progress, current) => {
      const result = await resumeEnrollment(id, this.#onProgress(progress));
      if (current()) this.#takeEnrollment(result);
    });
  }

  /** Imports a reply file from the picker or the last drop, matched to the waiting key. */
  importFile(source: ReplySource): Promise<void> {
    return this.#run(async (_progress, current) => {
      const imported = await importReply(source, this.identity?.id ?? null);
      if (!current() || imported === null) return;
      this.identity = imported.identity;
      this.warnings = imported.warnings;
      this.droppedFile = null;
    });
  }

  fileDropped(names: string[]): void {
    this.droppedFile = names[0] ?? null;
  }

  loadStores(): Promise<void> {
    return this.#run(async (_progress, current) => {
      const stores = await listStores(this.identity?.id ?? null);
      if (!current()) return;
      this.stores = stores;
      // Preselect what is not there yet; the person can untick.
      this.chosenStores = stores.filter((s) => !s.installed).map((s) => s.key);
    });
  }

  toggleStore(key: string, chosen: boolean): void {
    this.chosenStores = chosen
      ? [...this.chosenStores.filter((k) => k !== key), key]
      : this.chosenStores.filter((k) => k !== key);
  }

  install(): Promise<void> {
    const id = this.identity?.id;
    if (!id || this.chosenStores.length === 0) return Promise.resolve();
    return this.#run(async (progress, current) => {
      const results = await installIdentity(id, [...this.chosenStores], this.#onProgress(progress));
      const stores = await listStores(id);
      if (!current()) return;
      this.stores = stores;
      this.chosenStores = [];
      this.installResults = results;
    });
  }

  saveP12(): Promise<void> {
    const id = this.identity?.id;
    if (!id) return Promise.resolve();
    return this.#run(async (_progress, current) => {
      const exported = await exportP12(id, this.compatible);
      if (current() && exported) this.exported = exported;
    });
  }

  checkSite(): Promise<void> {
    const id = this.identity?.id ?? null;
    return this.#run(async (progress, current) => {
      this.check = null;
      const check = await checkSite(this.siteUrl.trim(), id, this.#onProgress(progress));
      if (current()) this.check = check;
    });
  }
}
