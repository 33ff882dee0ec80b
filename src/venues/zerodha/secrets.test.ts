// Secrets never print: Secret masks itself everywhere, the Redactor scrubs known values and credential-shaped
// text, and the secrets file is written readable by its owner only.

import { readFileSync, statSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { classifyKiteError } from './kite-errors.ts';
import { maskValue, readSecretsFile, Redactor, Secret, writeSecretsValue } from './secrets.ts';

const TOKEN = 'qwertyuiopasdfghjklzxcvbnm123456';

describe('Secret', () => {
  it('masks itself in every printable form and reveals only on request', () => {
    const s = new Secret(TOKEN);
    const printed = [
      String(s),
      `${s.toString()}`,
      'x' + String(s),
      JSON.stringify({ s }),
      inspect(s),
      format('%s %o %j', s, s, { s }),
    ];
    for (const text of printed) expect(text).not.toContain(TOKEN);
    expect(String(s)).toBe('qw****56');
    expect(s.reveal()).toBe(TOKEN);
    expect(maskValue('short')).toBe('****');
  });
});

describe('Redactor', () => {
  it('scrubs registered values and anything shaped like a Kite credential', () => {
    const r = new Redactor();
    r.add(new Secret(TOKEN));
    expect(r.redact(`value ${TOKEN} twice ${TOKEN}`)).toBe('value qw****56 twice qw****56');
    // Values it was never told about, in the places Kite credentials travel:
    expect(r.redact('Authorization: token apikey123:unknownaccesstoken999')).toBe(
      'Authorization: token apikey123:****',
    );
    expect(r.redact('wss://ws.kite.trade/?api_key=k&access_token=abcdef123&uid=1')).toBe(
      'wss://ws.kite.trade/?api_key=k&access_token=****&uid=1',
    );
    expect(r.redact('{"api_secret":"s3cr3tvalue","checksum":"ffff"}')).toBe(
      '{"api_secret":"****","checksum":"****"}',
    );
    expect(r.excerpt('x'.repeat(500), 10)).toBe('xxxxxxxxxx…');
  });

  it('a Kite client error carrying the Authorization header yields a message without it', () => {
    const r = new Redactor();
    r.add(TOKEN);
    const axiosLike = Object.assign(new Error(`connect ECONNREFUSED (token key:${TOKEN})`), {
      config: { headers: { Authorization: `token key:${TOKEN}` } },
    });
    const failure = classifyKiteError(axiosLike, r);
    expect(failure.kind).toBe('unknown');
    expect(JSON.stringify(failure)).not.toContain(TOKEN);
  });
});

describe('the secrets file', () => {
  it('is read as KEY=value lines and updated in place, readable by its owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-zerodha-secrets-'));
    const file = join(dir, 'kite.env');
    writeFileSync(file, '# comment\nKITE_API_KEY=abc\nKITE_ACCESS_TOKEN=old\n', { mode: 0o644 });
    writeSecretsValue(file, 'KITE_ACCESS_TOKEN', 'new-token');
    expect(readSecretsFile(file)).toEqual({ KITE_API_KEY: 'abc', KITE_ACCESS_TOKEN: 'new-token' });
    expect(readFileSync(file, 'utf8')).toBe('# comment\nKITE_API_KEY=abc\nKITE_ACCESS_TOKEN=new-token\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const fresh = join(dir, 'fresh.env');
    writeSecretsValue(fresh, 'KITE_ACCESS_TOKEN', 't1');
    expect(readSecretsFile(fresh)).toEqual({ KITE_ACCESS_TOKEN: 't1' });
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    expect(() => readSecretsFile(join(dir, 'missing.env'))).toThrow(/cannot read it: ENOENT/);
  });
});
