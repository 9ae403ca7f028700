import { describe, expect, it } from 'vitest';
import { alice, fakeCommands, rejectWith, wrongPassword } from '../../test/ipc';
import { CommandFailed, listIdentities, toIpcError } from './index';

describe('api', () => {
  it('listIdentities answers what the command returned', async () => {
    fakeCommands({ list_identities: () => [alice] });
    await expect(listIdentities()).resolves.toEqual([alice]);
  });

  it('a failed command rejects with CommandFailed carrying the IPC error', async () => {
    fakeCommands({ list_identities: () => rejectWith(wrongPassword) });
    const failure: unknown = await listIdentities().catch((reason: unknown) => reason);
    expect(failure).toBeInstanceOf(CommandFailed);
    expect((failure as CommandFailed).detail).toEqual(wrongPassword);
    expect((failure as CommandFailed).message).toBe(wrongPassword.message);
  });

  it('anything else becomes an internal error', () => {
    expect(toIpcError('plain text')).toEqual({
      kind: 'internal',
      message: 'plain text',
      hint: null,
      server_ca: null,
    });
    expect(toIpcError({ kind: 'io' })).toEqual({
      kind: 'internal',
      message: '[object Object]',
      hint: null,
      server_ca: null,
    });
  });
});
