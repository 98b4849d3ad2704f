/**
 * Runs the body of an entry callback (a request, an upgrade, a frame, a close). An exception that
 * escapes a callback of Node or ws ends the process, so it goes to `onError` instead, which logs it
 * and answers the peer; one thrown by `onError` itself is dropped, as nothing above may see it.
 */
export function guard(body: () => void, onError: (err: unknown) => void): void {
  try {
    body();
  } catch (err) {
    try {
      onError(err);
    } catch {
      // The logger or the answer failed as well: there is no one left to tell.
    }
  }
}
