import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup } from '@testing-library/svelte';
import { afterEach } from 'vitest';

// @tauri-apps/api's mocks draw callback ids from crypto.getRandomValues, which jsdom may lack.
if (typeof window.crypto.getRandomValues !== 'function') {
  Object.defineProperty(window, 'crypto', { value: globalThis.crypto });
}

// Unmount first: components stop their event listeners while the mocked event plugin exists.
afterEach(() => {
  cleanup();
  clearMocks();
});
