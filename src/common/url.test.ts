// maskUrl: passwords never reach a log line, whatever they contain; everything else is kept as written.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskUrl } from './url.ts';

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const host = fc.oneof(fc.constant('127.0.0.1'), fc.constant('db.internal'), word);
const scheme = fc.constantFrom('postgres', 'postgresql', 'redis', 'rediss');
/** Anything a password may hold written as is, '@' and ':' included (not '/', '?', '#', which end a URL's authority). */
const rawPassword = fc.string({ minLength: 1, maxLength: 24 }).filter((p) => !/[/?#]/.test(p));

describe('maskUrl', () => {
  it('masks the password of postgres and redis URLs, and password parameters', () => {
    expect(maskUrl('postgres://user:secret@host:5432/db')).toBe('postgres://user:****@host:5432/db');
    expect(maskUrl('redis://:secret@localhost:6379/0')).toBe('redis://:****@localhost:6379/0');
    expect(maskUrl('postgres://u:p%40ss@h/db?sslmode=require')).toBe(
      'postgres://u:****@h/db?sslmode=require',
    );
    expect(maskUrl('postgres://u@h/db?sslmode=require&password=secret')).toBe(
      'postgres://u@h/db?sslmode=require&password=****',
    );
    expect(maskUrl("host=h password='s e' user=u")).toBe('host=h password=**** user=u');
  });

  it('leaves URLs without a password, and text that is no URL, as written', () => {
    for (const text of [
      'postgres://user@host:5432/db',
      'redis://localhost:6379',
      'postgres://u@h/db?application_name=a:b@c',
      'not a url',
      '',
    ])
      expect(maskUrl(text)).toBe(text);
  });

  it('masks any password, encoded or written raw, and keeps the rest of the URL', () => {
    fc.assert(
      fc.property(
        scheme,
        fc.option(word, { nil: '' }),
        rawPassword,
        fc.boolean(),
        host,
        fc.integer({ min: 1, max: 65_535 }),
        word,
        (s, user, password, encode, h, port, db) => {
          const written = encode ? encodeURIComponent(password) : password;
          const masked = maskUrl(`${s}://${user}:${written}@${h}:${port}/${db}`);
          expect(masked).toBe(`${s}://${user}:****@${h}:${port}/${db}`);
        },
      ),
    );
  });
});
