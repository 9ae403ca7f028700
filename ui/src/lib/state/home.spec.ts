import { describe, expect, it } from 'vitest';
import { alice, bob, fakeCommands, rejectWith, wrongPassword } from '../../test/ipc';
import { HomeState } from './home.svelte';

describe('HomeState', () => {
  it('starts empty and not loaded', () => {
    const home = new HomeState();
    expect(home.rows).toEqual([]);
    expect(home.error).toBeNull();
    expect(home.loading).toBe(false);
    expect(home.loaded).toBe(false);
  });

  it('loads the rows through list_identities', async () => {
    const calls = fakeCommands({ list_identities: () => [alice, bob] });
    const home = new HomeState();

    await home.load();

    expect(calls).toEqual(['list_identities']);
    expect(home.rows).toEqual([alice, bob]);
    expect(home.error).toBeNull();
    expect(home.loaded).toBe(true);
    expect(home.loading).toBe(false);
  });

  it('keeps kind, message and hint of a failed load', async () => {
    fakeCommands({ list_identities: () => rejectWith(wrongPassword) });
    const home = new HomeState();

    await home.load();

    expect(home.error).toEqual(wrongPassword);
    expect(home.rows).toEqual([]);
    expect(home.loaded).toBe(false);
    expect(home.loading).toBe(false);
  });

  it('turns an unexpected rejection into an internal error', async () => {
    fakeCommands({
      list_identities: () => {
        throw new TypeError('window.__TAURI_INTERNALS__ is undefined');
      },
    });
    const home = new HomeState();

    await home.load();

    expect(home.error).toEqual({
      kind: 'internal',
      message: 'window.__TAURI_INTERNALS__ is undefined',
      hint: null,
      server_ca: null,
    });
  });

  it('is loading while the command runs, and a second load joins the first', async () => {
    let answer: (rows: unknown) => void = () => undefined;
    const calls = fakeCommands({
      list_identities: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    });
    const home = new HomeState();

    const first = home.load();
    const second = home.load();
    expect(home.loading).toBe(true);
    await Promise.resolve();
    answer([alice]);
    await Promise.all([first, second]);

    expect(calls).toEqual(['list_identities']);
    expect(home.loading).toBe(false);
    expect(home.rows).toEqual([alice]);
  });

  it('clears an old error when a retry succeeds', async () => {
    let fail = true;
    fakeCommands({
      list_identities: () => (fail ? rejectWith(wrongPassword) : [alice]),
    });
    const home = new HomeState();
    await home.load();
    expect(home.error).not.toBeNull();

    fail = false;
    await home.load();

    expect(home.error).toBeNull();
    expect(home.rows).toEqual([alice]);
  });
});
