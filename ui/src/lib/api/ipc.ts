// The only module that talks to the Rust side; components and state use the typed wrappers.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import type { IpcError } from './generated/IpcError';

/** The commands src-tauri registers (and capabilities/main.json allows). */
export type Command = 'list_identities';

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
  if (isIpcError(reason)) return reason;
  const message = reason instanceof Error ? reason.message : String(reason);
  return { kind: 'internal', message, hint: null };
}

/** Invokes `command`; rejects with `CommandFailed` only. */
export async function call<T>(command: Command, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw new CommandFailed(toIpcError(reason));
  }
}
