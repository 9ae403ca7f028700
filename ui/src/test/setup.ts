import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';

// @tauri-apps/api's mocks draw callback ids from crypto.getRandomValues, which jsdom may lack.
if (typeof window.crypto.getRandomValues !== 'function') {
  Object.defineProperty(window, 'crypto', { value: globalThis.crypto });
}

afterEach(() => {
  clearMocks();
});
