export type { IdentityRow } from './generated/IdentityRow';
export type { IpcError } from './generated/IpcError';
export type { IpcErrorKind } from './generated/IpcErrorKind';
export type { RowStatus } from './generated/RowStatus';
export { listIdentities } from './identities';
export { CommandFailed, toIpcError } from './ipc';
