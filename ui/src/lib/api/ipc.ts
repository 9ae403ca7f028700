// The only module that talks to the Rust side; components and state use the typed wrappers.
import { Channel, invoke, type InvokeArgs } from '@tauri-apps/api/core';
import type { IpcError } from './generated/IpcError';
import type { ProgressEvent } from './generated/ProgressEvent';

/** The commands src-tauri registers (and capabilities/main.json allows). */
export type Command =
  | 'list_identities'
  | 'identity_details'
  | 'create_request'
  | 'request_text'
  | 'save_email_request'
  | 'import_reply'
  | 'export_p12'
  | 'delete_identity'
  | 'check_site'
  | 'start_practice'
  | 'enroll_practice'
  | 'list_stores'
  | 'install_identity'
  | 'enroll_est'
  | 'enroll_portal'
  | 'resume_enrollment'
  | 'renew_identity'
  | 'open_profile'
  | 'create_request_from_profile'
  | 'launch_profile'
  | 'certificate_status';

/** Receives progress of a long operation. */
export type OnProgress = (event: ProgressEvent) => void;

/** A command failed; `detail` is the `{ kind, message, hint }` the Rust side sent. */
export class CommandFailed extends Error {
  readonly detail: IpcError;

  constructor(detail: IpcError) {
    super(detail.message);
    this.name = 'CommandFailed';
    this.detail = detail;
  }
}

function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.kind === 'string' &&
    typeof candidate.message === 'string' &&
    (candidate.hint === null || typeof candidate.hint === 'string')
  );
}

/** Whatever a call rejected with, as an `IpcError` (anything unexpected is `internal`). */
export function toIpcError(reason: unknown): IpcError {
  if (reason instanceof CommandFailed) return reason.detail;
  if (isIpcError(reason)) return { ...reason, server_ca: reason.server_ca ?? null };
  const message = reason instanceof Error ? reason.message : String(reason);
  return { kind: 'internal', message, hint: null, server_ca: null };
}

/** Invokes `command`; rejects with `CommandFailed` only. */
export async function call<T>(command: Command, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw new CommandFailed(toIpcError(reason));
  }
}

/** Invokes a long-running `command` with a progress channel passed as `onProgress`. */
export function callWithProgress<T>(
  command: Command,
  args: Record<string, unknown>,
  onProgress: OnProgress,
): Promise<T> {
  const channel = new Channel<ProgressEvent>();
  channel.onmessage = onProgress;
  return call<T>(command, { ...args, onProgress: channel });
}
