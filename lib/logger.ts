export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 50 };

/** Errors do not survive JSON.stringify; keep what an operator needs (name, message, code, stack). */
function serialize(value: unknown): unknown {
  if (value instanceof Error) {
    const { code } = value as { code?: unknown };
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }), stack: value.stack };
  }
  return value;
}

let stdoutWatched = false;
let stdoutGone = false;

/**
 * Writes to stdout until whoever reads it goes away (`node dist/server.js | head`). The write then
 * fails with EPIPE, reported as an 'error' event on process.stdout, which would end the process if
 * nothing listened; logging stops instead and the server goes on serving.
 */
function writeStdout(line: string): void {
  if (stdoutGone) return;
  if (!stdoutWatched) {
    stdoutWatched = true;
    process.stdout.on('error', () => {
      stdoutGone = true;
    });
  }
  process.stdout.write(line);
}

/** One JSON line; a field JSON cannot hold (a BigInt, a cycle) costs the fields, never the line. */
function toLine(record: LogFields): string {
  try {
    return JSON.stringify(record) + '\n';
  } catch {
    const { level, time, msg } = record;
    return JSON.stringify({ level, time, msg, logError: 'fields could not be serialized' }) + '\n';
  }
}

const dropped = (): void => {};

/**
 * A logger that writes one JSON object per line (`level`, `time`, `msg`, then the fields) and drops
 * everything below `level`. Logging never throws: a line that cannot be written is dropped.
 */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = writeStdout): Logger {
  // A level below the threshold is a function that does nothing, decided once here rather than on each call.
  const log = (lvl: Exclude<LogLevel, 'silent'>) =>
    RANK[lvl] < RANK[level]
      ? dropped
      : (msg: string, fields?: LogFields) => {
          const record: LogFields = { level: lvl, time: new Date().toISOString(), msg };
          for (const [key, value] of Object.entries(fields ?? {})) record[key] = serialize(value);
          try {
            write(toLine(record));
          } catch {
            // A log sink that fails must not take the request, the frame or the server down with it.
          }
        };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = createLogger('silent', () => {});
