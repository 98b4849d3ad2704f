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

/** The `code` of a store failure that means the database could not be reached or did not answer in time. */
export const STORE_UNAVAILABLE = 'ERR_STORE_UNAVAILABLE';

/** A store call failed because the database is down, unreachable or too slow; nothing was written. Clients get STORE_UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly code = STORE_UNAVAILABLE;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}
