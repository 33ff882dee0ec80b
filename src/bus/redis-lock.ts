// One active instance of a service that keeps a single view of the book (risk, router, ledger, reconciler): a Redis
// key held with a TTL and renewed. A second instance started beside it waits as a hot standby and takes over when
// the holder stops renewing (killed, hung, cut off); an instance that finds its lock taken by another (it was
// paused or partitioned past the TTL) stops at once rather than act beside the new holder.
//
// The holder is a token of this process (its consumer name and a random suffix): two processes never both hold
// it, even under one HF_CONSUMER (two on a host without one, or a restart beside a hung predecessor); a restarted
// instance waits out its predecessor's TTL. A renewal has a deadline (it fails rather than queue while Redis is
// away); the first renewal answered after an outage says whether the lock is still ours.

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../common/logging.ts';
import { ioredisUrl, maskUrl } from '../common/url.ts';

/** SET key name PX ttl when the key is free or already ours; 1 when held by us afterwards. */
const TAKE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** DEL the key only when it is ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface ServiceLockOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly service: string;
  /** This instance's name (its consumer name). */
  readonly holder: string;
  readonly logger: Logger;
  /** Default 5,000 ms: how long a dead holder keeps the service. Renewed every third of it. */
  readonly ttlMs?: number;
  /** Called once when the lock was taken by another instance while held: stop acting. */
  readonly onLost: (holder: string | null) => void;
}

export class ServiceLock {
  readonly key: string;
  /** This process's token in the key: the holder's name and a random suffix. */
  readonly token: string;
  private readonly redis: Redis;
  private readonly ttlMs: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private held = false;
  private stopped = false;
  private renewing = false;
  private lost = false;

  constructor(private readonly options: ServiceLockOptions) {
    this.key = `${options.keyPrefix}lock:service:${options.service}`;
    const ttl = options.ttlMs ?? 5_000;
    if (!Number.isInteger(ttl) || ttl < 300)
      throw new Error(
        `service lock: the TTL must be an integer of at least 300 ms (got ${String(options.ttlMs)})`,
      );
    this.ttlMs = ttl;
    this.token = `${options.holder}:${randomBytes(4).toString('hex')}`;
    this.redis = new Redis(ioredisUrl(options.url), {
      maxRetriesPerRequest: null,
      // A command that cannot be answered fails within a renewal period instead of queueing forever.
      commandTimeout: Math.max(100, Math.floor(ttl / 3)),
      connectionName: `hf-lock:${options.holder}:${options.service}`,
    });
    this.redis.on('error', () => undefined); // reported by the attempts below
  }

  /** The holder's name in a token (`name:suffix`). */
  static holderName(token: string | null): string | null {
    return token === null ? null : token.replace(/:[0-9a-f]{8}$/, '');
  }

  /** Who holds the service now (the holder's name; null when free). */
  async holderNow(): Promise<string | null> {
    return ServiceLock.holderName(await this.redis.get(this.key));
  }

  /**
   * Resolves once this instance holds the lock; while another does, logs once that it waits as a standby and
   * tries again every third of the TTL. Resolves false if `release()` was called while waiting.
   */
  async acquire(): Promise<boolean> {
    let announced = false;
    while (!this.stopped) {
      try {
        if ((await this.redis.eval(TAKE, 1, this.key, this.token, this.ttlMs)) === 1) {
          this.held = true;
          if (announced)
            this.options.logger.warn(
              `${this.options.service}: the active instance stopped renewing; taking over`,
              {
                lock: this.key,
              },
            );
          this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.ttlMs / 3)));
          return true;
        }
        if (!announced) {
          announced = true;
          this.options.logger.warn(
            `${this.options.service} is active in ${(await this.holderNow()) ?? '?'}: waiting as a standby (takes over within ${this.ttlMs} ms of it stopping)`,
            { lock: this.key },
          );
        }
      } catch (error) {
        this.options.logger.error(`service lock: Redis at ${maskUrl(this.options.url)} did not answer`, {
          error: (error as Error).message,
        });
      }
      await new Promise((r) => setTimeout(r, Math.max(100, Math.floor(this.ttlMs / 3))));
    }
    return false;
  }

  private async renew(): Promise<void> {
    if (!this.held || this.stopped || this.renewing) return;
    this.renewing = true;
    let taken: unknown;
    try {
      taken = await this.redis.eval(TAKE, 1, this.key, this.token, this.ttlMs);
    } catch {
      taken = undefined; // not answered in time
    } finally {
      this.renewing = false;
    }
    if (this.stopped || this.lost) return;
    if (taken === 1) {
      return;
    }
    // Not answered: Redis is away, and the lock lives there, so no standby can take it meanwhile; the next renewal
    // that is answered says whether it is still ours. (Stopping here would turn every Redis restart into every
    // single-active service stopping.)
    if (taken === undefined) return;
    this.lost = true;
    this.held = false;
    if (this.renewTimer) clearInterval(this.renewTimer);
    const holder = await this.holderNow().catch(() => null);
    this.options.logger.error(
      `${this.options.service}: the service lock is held by ${holder ?? 'nobody'} now; this instance stops`,
      { lock: this.key },
    );
    this.options.onLost(holder);
  }

  /** Gives the lock up (a clean stop: a standby takes over at once) and closes the connection. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.held) await this.redis.eval(RELEASE, 1, this.key, this.token).catch(() => undefined);
    this.held = false;
    this.redis.disconnect();
  }
}
