/**
 * A token bucket: holds up to `burst` tokens, refilled at `perSecond`. take() spends one token and
 * returns 0, or returns how many milliseconds until one is available.
 */
export class TokenBucket {
  readonly #burst: number;
  readonly #perMs: number;
  #tokens: number;
  #updatedAt: number;

  constructor(perSecond: number, burst: number, now = Date.now()) {
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  take(now = Date.now()): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) / this.#perMs);
  }

  /** True when the bucket is full again, so whoever keeps it may forget it. */
  isFull(now = Date.now()): boolean {
    this.#refill(now);
    return this.#tokens >= this.#burst;
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#perMs);
    this.#updatedAt = now;
  }
}

export interface AddressLimitsOptions {
  /** New connections per address per minute (a bucket of this size refilled over a minute). */
  connectsPerMinute: number;
  /** Open connections per address. */
  maxPerAddress: number;
  /** Addresses whose connect rate is remembered at most; past it the oldest is forgotten. Default 100000. */
  maxTrackedAddresses?: number;
}

export type AddressVerdict =
  { ok: true } | { ok: false; reason: 'connect rate' | 'connections per address'; retryAfterSeconds: number };

const DEFAULT_MAX_TRACKED_ADDRESSES = 100_000;

/** Per-client-address limits on upgrades: a rate and a count of open connections. */
export class AddressLimits {
  readonly #options: AddressLimitsOptions;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #open = new Map<string, number>();

  constructor(options: AddressLimitsOptions) {
    this.#options = options;
  }

  /** Spends one connect for the address, or says why not. */
  admit(address: string, now = Date.now()): AddressVerdict {
    if ((this.#open.get(address) ?? 0) >= this.#options.maxPerAddress) {
      return { ok: false, reason: 'connections per address', retryAfterSeconds: 5 };
    }
    let bucket = this.#buckets.get(address);
    if (!bucket) {
      this.#makeRoom();
      bucket = new TokenBucket(this.#options.connectsPerMinute / 60, this.#options.connectsPerMinute, now);
      this.#buckets.set(address, bucket);
    }
    const waitMs = bucket.take(now);
    return waitMs === 0
      ? { ok: true }
      : { ok: false, reason: 'connect rate', retryAfterSeconds: Math.ceil(waitMs / 1000) };
  }

  opened(address: string): void {
    this.#open.set(address, (this.#open.get(address) ?? 0) + 1);
  }

  closed(address: string): void {
    const left = (this.#open.get(address) ?? 1) - 1;
    if (left > 0) this.#open.set(address, left);
    else this.#open.delete(address);
  }

  /**
   * Keeps the buckets below maxTrackedAddresses: addresses come from clients (through a trusted proxy,
   * from a header), so their number must not grow memory without bound. Forgetting the oldest only
   * forgives it its recent connects; a scan for full buckets here would cost O(n) per new address.
   */
  #makeRoom(): void {
    const max = this.#options.maxTrackedAddresses ?? DEFAULT_MAX_TRACKED_ADDRESSES;
    // A Map iterates in insertion order: the first key is the address seen longest ago.
    for (const address of this.#buckets.keys()) {
      if (this.#buckets.size < max) break;
      this.#buckets.delete(address);
    }
  }

  /** Forgets addresses whose bucket has refilled, so the map holds only recent clients. */
  prune(now = Date.now()): void {
    for (const [address, bucket] of this.#buckets) if (bucket.isFull(now)) this.#buckets.delete(address);
  }

  /** Addresses whose connect rate is remembered now (bounded by maxTrackedAddresses). */
  get trackedAddresses(): number {
    return this.#buckets.size;
  }
}
