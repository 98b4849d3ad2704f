/** An HTTP failure whose message is safe to show a client. Routes throw it; one place renders it. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** A store call failed because the database is down, unreachable or too slow; nothing was written. Clients get STORAGE_UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly code = 'ERR_STORE_UNAVAILABLE';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** True for a StoreUnavailableError, also one from another copy of this module (it checks the `code`). */
export const isStoreUnavailable = (err: unknown): err is StoreUnavailableError =>
  (err as { code?: unknown } | null)?.code === 'ERR_STORE_UNAVAILABLE';
