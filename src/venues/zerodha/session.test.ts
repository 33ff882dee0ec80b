// The daily login against the fake: the request token exchanged for an access token (checksum checked by the
// fake), stored in the secrets file, usable by the adapter; failures that name the problem and leak nothing.

import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveClock } from '../../common/clock.ts';
import { startFakeKite, type FakeKite } from '../../../tests/support/fake-kite.ts';
import { ZerodhaVenueAdapter } from './adapter.ts';
import { FAKE_INSTRUMENTS, INFY, testConfig, VENUE } from './fixtures.test-support.ts';
import { createSession, loginUrl } from './session.ts';

const fakes: FakeKite[] = [];

afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});

async function fakeKite(): Promise<FakeKite> {
  const fake = await startFakeKite({ instruments: FAKE_INSTRUMENTS, heartbeatMs: 0 });
  fakes.push(fake);
  return fake;
}

describe('createSession', () => {
  it('exchanges the request token for the day’s access token and stores it in the secrets file', async () => {
    const fake = await fakeKite();
    const dir = mkdtempSync(join(tmpdir(), 'hf-zerodha-login-'));
    const file = join(dir, 'kite.env');
    writeFileSync(
      file,
      `KITE_API_KEY=${fake.apiKey}\nKITE_API_SECRET=${fake.apiSecret}\nKITE_ACCESS_TOKEN=yesterday\n`,
      {
        mode: 0o600,
      },
    );
    const config = testConfig(fake, { credentials: { secretsFile: file } });
    const session = await createSession(fake.issueRequestToken(), { config, env: {} });

    expect(session.userId).toBe('ZX1234');
    expect(session.storedIn).toBe(file);
    expect(session.loginTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const token = session.accessToken.reveal();
    expect(readFileSync(file, 'utf8')).toContain(`KITE_ACCESS_TOKEN=${token}\n`);
    expect(readFileSync(file, 'utf8')).not.toContain('yesterday');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(session)).not.toContain(token);
    expect(String(session.accessToken)).not.toContain(token);

    // The venue picks the new token up from the file on connect.
    const adapter = new ZerodhaVenueAdapter({
      venue: VENUE,
      config,
      clock: new LiveClock(),
      instruments: [INFY],
      env: {},
    });
    await adapter.connect();
    expect(adapter.state).toBe('connected');
    await adapter.disconnect();
  });

  it('the checksum is sha256(api_key + request_token + api_secret): a wrong secret is refused without leaking', async () => {
    const fake = await fakeKite();
    const requestToken = fake.issueRequestToken();
    const wrongSecret = 'not-the-secret-0123456789';
    const error = await createSession(requestToken, {
      config: testConfig(fake),
      env: { KITE_API_KEY: fake.apiKey, KITE_API_SECRET: wrongSecret },
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Kite login failed: TokenException: Invalid `checksum`.');
    expect((error as Error).message).not.toContain(requestToken);
    expect((error as Error).message).not.toContain(wrongSecret);
    expect(fake.requestsTo('session')).toHaveLength(1);
  });

  it('a request token is good once; missing credentials and malformed tokens are named', async () => {
    const fake = await fakeKite();
    const env = { KITE_API_KEY: fake.apiKey, KITE_API_SECRET: fake.apiSecret };
    const config = testConfig(fake);
    const requestToken = fake.issueRequestToken();
    await createSession(requestToken, { config, env });
    await expect(createSession(requestToken, { config, env })).rejects.toThrow(
      'Kite login failed: TokenException: Token is invalid or has expired.',
    );
    await expect(createSession('abc', { config, env: { KITE_API_KEY: fake.apiKey } })).rejects.toThrow(
      /KITE_API_SECRET/,
    );
    await expect(createSession('not a token!', { config, env })).rejects.toThrow(
      /alphanumeric request_token/,
    );
    await expect(createSession(fake.issueRequestToken(), { config, env, store: true })).rejects.toThrow(
      /secretsFile/,
    );
  });

  it('loginUrl is Kite’s login page with the API key', () => {
    expect(loginUrl(undefined, { KITE_API_KEY: 'myapikey' })).toBe(
      'https://kite.zerodha.com/connect/login?v=3&api_key=myapikey',
    );
    expect(() => loginUrl(undefined, {})).toThrow(/KITE_API_KEY/);
  });
});
