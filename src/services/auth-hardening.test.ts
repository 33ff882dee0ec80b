// Production refusal: a process with NODE_ENV=production and an example password from .env.example (or the
// runbook) in its environment does not start, and says which variables without echoing the values.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.ts';
import { assertProductionSecrets, exampleSecrets, weakSecretVariables } from './auth-hardening.ts';

const EXAMPLE = [
  '# comment',
  'REDIS_PASSWORD=change-me-redis',
  'POSTGRES_USER=hedgefund_user',
  'export POSTGRES_PASSWORD="change-me-postgres"',
  'OPENAI_API_KEY=',
  'HF_IMAGE=hedgefund/platform:dev',
].join('\n');

function exampleFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hf-env-')), '.env.example');
  writeFileSync(file, EXAMPLE);
  return file;
}

describe('production secrets', () => {
  it('reads the secret values of a dotenv file, not the other settings', () => {
    expect(exampleSecrets(EXAMPLE)).toEqual(['change-me-redis', 'change-me-postgres']);
  });

  it('finds an example value as a whole secret or as a URL password', () => {
    const env = {
      REDIS_PASSWORD: 'change-me-redis',
      REDIS_URL: 'redis://:change-me-redis@redis:6379',
      DATABASE_URL: 'postgres://hedgefund_user:change%2Dme%2Dpostgres@db:5432/hf',
      POSTGRES_USER: 'change-me-redis', // not a secret's name: a user name is not checked
      GRAFANA_ADMIN_PASSWORD: 'a-real-one',
    };
    expect(weakSecretVariables(env, ['change-me-redis', 'change-me-postgres'])).toEqual([
      'DATABASE_URL',
      'REDIS_PASSWORD',
      'REDIS_URL',
    ]);
  });

  it('refuses to start in production with an example password, naming the variable only', () => {
    const file = exampleFile();
    const env = { NODE_ENV: 'production', POSTGRES_PASSWORD: 'change-me-postgres' };
    const error = (() => {
      try {
        assertProductionSecrets({ env, exampleFiles: [file] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('POSTGRES_PASSWORD');
    expect((error as Error).message).not.toContain('change-me-postgres');
  });

  it("refuses the runbook's passwords too, and lets real secrets and development through", () => {
    expect(() =>
      assertProductionSecrets({
        env: { NODE_ENV: 'production', REDIS_PASSWORD: 'redispass123' },
        exampleFiles: [],
      }),
    ).toThrow(/REDIS_PASSWORD/);
    expect(() =>
      assertProductionSecrets({
        env: { NODE_ENV: 'production', POSTGRES_PASSWORD: 'x7-real-secret' },
        exampleFiles: [exampleFile()],
      }),
    ).not.toThrow();
    expect(() =>
      assertProductionSecrets({
        env: { POSTGRES_PASSWORD: 'change-me-postgres' },
        exampleFiles: [exampleFile()],
      }),
    ).not.toThrow();
  });
});
