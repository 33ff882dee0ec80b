// Test tiers: unit tests beside the code (src/**), integration and end-to-end tests in tests/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Engines log JSON lines; tests assert on behaviour, not on log output.
    env: { HF_LOG_LEVEL: 'silent' },
  },
});
