/**
 * Work done once at the end of an event-loop turn, in two steps: first what releases replies (the SQLite
 * store's group commit), then what writes them (ConnectionManager's corked sockets). Each step is an
 * immediate of its own, so the promise continuations that send released replies run between them.
 * Whichever is asked for first in a turn, a reply released at its end joins the frames already waiting
 * for its socket (a turn's `processing` frame), and both leave in one write.
 */

const releases: Array<() => void> = [];
const writes: Array<() => void> = [];
let armed = false;

const runAll = (work: Array<() => void>): void => {
  for (const run of work.splice(0)) run();
};

function arm(): void {
  if (armed) return;
  armed = true;
  setImmediate(() => runAll(releases));
  setImmediate(() => {
    armed = false;
    runAll(writes);
    // Asked for while the two steps ran (a write's callback, a late release): the next turn's end.
    if (releases.length > 0 || writes.length > 0) arm();
  });
}

/** Runs `release` at the end of this event-loop turn, before the writes. */
export function releaseAtTickEnd(release: () => void): void {
  releases.push(release);
  arm();
}

/** Runs `write` at the end of this event-loop turn, after the releases. */
export function writeAtTickEnd(write: () => void): void {
  writes.push(write);
  arm();
}
