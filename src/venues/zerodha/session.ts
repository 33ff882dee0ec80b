// The daily Kite login, independent of `hf`: the login URL to open, and createSession(requestToken), which
// exchanges the request token from the login redirect for the day's access token (checksum
// sha256(api_key + request_token + api_secret), computed by the official client) and stores it in the secrets
// file when one is configured.

import { KiteConnect } from 'kiteconnect';
import { ConfigError } from '../../common/errors.ts';
import { parseZerodhaConfig, resolveCredentials, type Environment, type ZerodhaConfig } from './config.ts';
import { classifyKiteError } from './kite-errors.ts';
import { kiteTimeToMicros } from './kite-orders.ts';
import { Redactor, Secret, writeSecretsValue } from './secrets.ts';

export interface CreateSessionOptions {
  /** Default: the defaults (credentials from KITE_API_KEY / KITE_API_SECRET). */
  readonly config?: ZerodhaConfig;
  readonly env?: Environment;
  /** Write the access token to the configured secrets file (default: when one is configured). */
  readonly store?: boolean;
}

export interface ZerodhaSession {
  readonly userId: string;
  readonly loginTime: string;
  /** Masked in every printable form; `accessToken.reveal()` for the value. */
  readonly accessToken: Secret;
  /** The secrets file the token was written to, if any. */
  readonly storedIn: string | undefined;
}

/** The URL the operator opens each morning; Kite redirects to the app's redirect URL with `request_token`. */
export function loginUrl(
  config: ZerodhaConfig = parseZerodhaConfig({}),
  env: Environment = process.env,
): string {
  const credentials = resolveCredentials(config, env);
  if (!credentials.apiKey)
    throw new ConfigError('zerodha credentials', 'apiKey', `not set: ${credentials.sources.apiKey}`);
  return `${config.loginRoot}?v=3&api_key=${encodeURIComponent(credentials.apiKey.reveal())}`;
}

/**
 * Exchanges `requestToken` for the day's access token. Errors name what is wrong and never carry the
 * secret, the request token or the access token.
 */
export async function createSession(
  requestToken: string,
  options: CreateSessionOptions = {},
): Promise<ZerodhaSession> {
  const config = options.config ?? parseZerodhaConfig({});
  const credentials = resolveCredentials(config, options.env ?? process.env);
  if (!credentials.apiKey)
    throw new ConfigError('zerodha credentials', 'apiKey', `not set: ${credentials.sources.apiKey}`);
  if (!credentials.apiSecret)
    throw new ConfigError('zerodha credentials', 'apiSecret', `not set: ${credentials.sources.apiSecret}`);
  const token = requestToken.trim();
  if (!/^[A-Za-z0-9]+$/.test(token))
    throw new Error(
      'createSession: the request token must be the alphanumeric request_token from the login redirect',
    );
  const file = config.credentials.secretsFile;
  const store = options.store ?? file !== undefined;
  if (store && !file)
    throw new Error('createSession: store requested but no credentials.secretsFile is configured');
  const redactor = new Redactor();
  redactor.add(credentials.apiKey);
  redactor.add(credentials.apiSecret);
  redactor.add(token);
  const kite = new KiteConnect({
    api_key: credentials.apiKey.reveal(),
    root: config.restRoot,
    timeout: config.requestTimeoutMs,
  });
  let data: unknown;
  try {
    data = await kite.generateSession(token, credentials.apiSecret.reveal());
  } catch (error) {
    const failure = classifyKiteError(error, redactor);
    throw new Error(`Kite login failed: ${failure.errorType}: ${failure.message}`);
  }
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const accessToken = d.access_token;
  if (typeof accessToken !== 'string' || accessToken === '')
    throw new Error('Kite login answered without an access token');
  if (store && file) writeSecretsValue(file, config.credentials.accessTokenVariable, accessToken);
  const loginMicros = kiteTimeToMicros(d.login_time);
  return {
    userId: typeof d.user_id === 'string' ? d.user_id : '',
    loginTime: loginMicros === undefined ? '' : new Date(loginMicros / 1000).toISOString(),
    accessToken: new Secret(accessToken),
    storedIn: store ? file : undefined,
  };
}
