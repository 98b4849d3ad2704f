import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError, sendHttpError } from './errors.ts';

/**
 * The chat page: serves the static files of the package's `web/` folder. They are read once, when the
 * server is created, into a table keyed by URL path; a request is answered only when its path is a key
 * of that table, so no part of a URL ever reaches the file system (no traversal, no symlinks followed
 * at request time).
 */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

/**
 * The page loads only its own files and talks only to its own origin. `no-referrer` matters: the page
 * URL may carry `?token=`, and the calendar link is a secret address.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The package's web/ folder: one level up from lib/ (sources under tsx), two from dist/lib/ (built). */
function findWebRoot(): string {
  for (const candidate of ['../web/', '../../web/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error(
    'the chat page (web/index.html) is not in this package; build it with its web/ folder or set webUi: false',
  );
}

function loadFiles(root: string, basePath: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(root)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) continue;
    const body = readFileSync(join(root, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(`${basePath}/${name === 'index.html' ? '' : name}`, { body, contentType, etag });
  }
  return files;
}

export interface WebUiOptions {
  /** The package's web/ folder. Default: found beside lib/ or dist/lib/. */
  root?: string;
  /** Prefix of the page's paths: the page is `{basePath}/`, and connects to `{basePath}/ws/…`. Default none. */
  basePath?: string;
}

/**
 * Builds the handler for the chat page. It answers GET and HEAD (405 otherwise) for `{basePath}/` and
 * the files beside index.html, and returns false, writing nothing, for any other path.
 *
 * File names carry no content hash, so every answer is `no-cache` with an ETag: the browser keeps its
 * copy and revalidates it with one cheap 304, and a new release is seen on the next load.
 */
export function createWebUi({ root = findWebRoot(), basePath = '' }: WebUiOptions = {}): (
  req: IncomingMessage,
  res: ServerResponse,
) => boolean {
  const files = loadFiles(root, basePath);
  return (req, res) => {
    // The raw target, not a parsed URL: only the exact spellings in the table match, nothing is normalised.
    const file = files.get((req.url ?? '/').split('?')[0]!);
    if (!file) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendHttpError(res, new HttpError('METHOD_NOT_ALLOWED', undefined, { Allow: 'GET, HEAD' }));
      return true;
    }
    const headers = { ...SECURITY_HEADERS, 'Cache-Control': 'no-cache', ETag: file.etag };
    if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(file.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'Content-Type': file.contentType, 'Content-Length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
