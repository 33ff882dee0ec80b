// The local control channel of a running `hf run`: HTTP over a Unix socket in the platform home, so
// `hf kill-switch`, `hf strategy`, `hf route-override` and `hf reconcile` reach the running process within a
// second. Only the machine's user who owns the home folder can open it.

import { request } from 'node:http';
import { join } from 'node:path';

export function controlSocketPath(home: string): string {
  return join(home, 'control.sock');
}

export class ChannelUnavailable extends Error {}

/** Calls the running process; throws ChannelUnavailable when nothing listens on the socket. */
export function callChannel<T>(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        path,
        method,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text.length ? JSON.parse(text) : undefined;
          } catch {
            reject(
              new Error(
                `control channel answered with non-JSON (${res.statusCode ?? 0}): ${text.slice(0, 200)}`,
              ),
            );
            return;
          }
          if ((res.statusCode ?? 500) >= 400) {
            const err = (parsed as { error?: string } | undefined)?.error ?? text;
            reject(new Error(`control channel: ${res.statusCode ?? 0} ${err}`));
            return;
          }
          resolve(parsed as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('control channel timed out')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')
        reject(new ChannelUnavailable(socketPath));
      else reject(error);
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
