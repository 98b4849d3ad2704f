import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { SignJWT } from 'jose';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { createChatServer, createEchoEngine, type ChatServerOptions, type ConversationEngine } from '../lib/index.ts';
import { connectClient, holdingEngine, startServer, tempDir } from './helpers.ts';
import { root, startServerProcess } from './server-process.ts';

/** Screenshots land here (gitignored), for a person to look at after the run. */
const ARTIFACTS = join(root, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Generous: a browser and a server share two loaded cores. */
const UI_MS = 15_000;

describe('chat page over HTTP', () => {
  it('is off unless asked for', async (t) => {
    const { base } = await startServer(t);
    assert.equal((await fetch(`${base}/`)).status, 404);
  });

  it('serves its files with content types, caching headers, HEAD and 304', async (t) => {
    const { base } = await startServer(t, { webUi: true });
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.match(await page.text(), /<title>MeetingMuse<\/title>/);
    for (const [path, type] of [
      ['/app.js', 'text/javascript; charset=utf-8'],
      ['/style.css', 'text/css; charset=utf-8'],
      ['/favicon.svg', 'image/svg+xml'],
    ]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.headers.get('content-type'), type, path);
      assert.ok((await res.arrayBuffer()).byteLength > 0);
    }
    const head = await fetch(`${base}/app.js`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get('content-length')) > 1000);
    assert.equal(await head.text(), '');
    const again = await fetch(`${base}/app.js`, { headers: { 'if-none-match': head.headers.get('etag')! } });
    assert.equal(again.status, 304);
    const post = await fetch(`${base}/`, { method: 'POST' });
    assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
  });

  it('answers 404 to every path outside its files, however spelled', async (t) => {
    const { port } = await startServer(t, { webUi: true });
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/web/app.js',
      '/index.html',
      '/app.js/',
      '//app.js',
      '/.%2e/lib/config.ts',
    ]) {
      // fetch would normalise the dots away; a raw request keeps the path as written.
      const status = await rawStatus(port, path);
      assert.equal(status, 404, path);
    }
  });
});

/**
 * A chat server mounted on a host server that listens first, so that its ALLOWED_ORIGINS can name the
 * page's own origin (port included), as a production deployment would.
 */
async function mountedWithOwnOrigin(t: TestContext, options: ChatServerOptions): Promise<string> {
  const host = createServer();
  host.listen(0, '127.0.0.1');
  await once(host, 'listening');
  const base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  const chat = createChatServer({ ...options, allowedOrigins: [base] });
  host.on('request', (req, res) => {
    if (!chat.handleRequest(req, res)) res.writeHead(404).end();
  });
  host.on('upgrade', (req, socket, head) => {
    if (!chat.handleUpgrade(req, socket, head)) socket.destroy();
  });
  t.after(async () => {
    await chat.close();
    host.closeAllConnections();
    host.close();
  });
  return base;
}

/** Sends a request with the target exactly as given and returns the status code. */
async function rawStatus(port: number, target: string): Promise<number> {
  const { connect } = await import('node:net');
  const socket = connect(port, '127.0.0.1');
  socket.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  let text = '';
  for await (const chunk of socket) text += chunk;
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

describe(
  'chat page in a browser',
  { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`, timeout: 90_000 },
  () => {
    let browser: Browser;
    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      // launch() gives every run a fresh temporary profile; these flags keep Chromium off the network.
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    });
    after(() => browser?.close());

    async function openPage(t: TestContext, url: string, options: BrowserContextOptions = {}): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
      t.after(() => context.close());
      const page = await context.newPage();
      page.setDefaultTimeout(UI_MS);
      await page.goto(url);
      return page;
    }

    const say = async (page: Page, text: string) => {
      await page.getByLabel('Message').fill(text);
      await page.getByLabel('Message').press('Enter');
    };
    const lastBot = (page: Page) => page.locator('.entry.bot').last();
    const waitOnline = (page: Page) => page.locator('#status[data-state="online"]').waitFor();

    it('books, confirms, lists, moves and cancels in the browser zone, and keeps the history across a server restart', async (t) => {
      const db = join(tempDir(t), 'web.db');
      const first = await startServerProcess(t, { MEETINGMUSE_DB: db });
      const page = await openPage(t, `${first.base}/?id=web-kolkata-1`, { timezoneId: 'Asia/Kolkata' });
      await waitOnline(page);

      await say(page, 'Book a design review with Bob tomorrow at 3pm for 45 minutes in Room 4');
      const draft = lastBot(page).locator('.card');
      await draft.waitFor();
      assert.equal(await draft.locator('.badge').textContent(), 'Draft');
      assert.match((await draft.locator('.when').textContent()) ?? '', /3:00\s*[–-]\s*3:45\s*PM GMT\+5:30/);
      assert.match(
        (await lastBot(page).locator('.bubble').textContent()) ?? '',
        /\(Asia\/Kolkata\)/,
        'the page sent ?tz= from the browser zone, echoed by its current IANA name',
      );

      // Keyboard only: from the message field, back to the draft's buttons, and Enter on Confirm.
      for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+Tab');
      assert.equal(await page.locator(':focus').textContent(), 'Confirm');
      await page.keyboard.press('Enter');
      await page.getByText(/^Booked: Design review/).waitFor();
      const upcoming = page.locator('#upcoming .card');
      assert.equal(await upcoming.count(), 1);
      assert.match((await upcoming.first().textContent()) ?? '', /Design review.*3:00\s*[–-]\s*3:45\s*PM/);
      assert.equal(await lastBot(page).locator('.choice:enabled').count(), 0);

      await page.getByRole('button', { name: 'Ask for all my meetings' }).click();
      await page.getByText(/^You have 1 meeting/).waitFor();

      await say(page, 'move the design review to 5pm');
      await page.getByText(/^Move Design review to/).waitFor();
      assert.equal(await lastBot(page).locator('.badge').textContent(), 'Proposed');
      await lastBot(page).getByRole('button', { name: 'Yes' }).click();
      await page.getByText(/^Moved: Design review/).waitFor();
      await page.locator('#upcoming .card .when', { hasText: /5:00\s*[–-]\s*5:45\s*PM/ }).waitFor();

      await say(page, 'Lunch with Ana tomorrow at 1pm');
      await lastBot(page).getByRole('button', { name: 'Confirm' }).click();
      await page.getByText(/^Booked: Lunch/).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'chat-desktop.png') });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await waitOnline(page);
      await page.screenshot({ path: join(ARTIFACTS, 'chat-phone.png') });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: join(ARTIFACTS, 'chat-phone-dark.png') });
      await page.emulateMedia({ colorScheme: 'light' });
      for (const width of [390, 320]) {
        await page.setViewportSize({ width, height: 700 });
        if (width === 320) await page.screenshot({ path: join(ARTIFACTS, 'chat-phone-320.png') });
        const overflow = await page.evaluate(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        assert.equal(overflow, 0, `nothing wider than a ${width} px screen`);
      }
      await page.setViewportSize({ width: 1280, height: 860 });

      await say(page, 'cancel my lunch');
      await lastBot(page).getByRole('button', { name: 'Yes' }).click();
      await page.getByText(/^Cancelled: Lunch/).waitFor();
      assert.equal(await upcoming.count(), 1, 'the cancelled lunch left the list');

      // The server restarts on the same port; the page reconnects by itself and keeps what it showed.
      const entriesBefore = await page.locator('#log .entry').count();
      assert.equal(await first.stop(), 0);
      await page.locator('#status[data-state="waiting"]').waitFor();
      const second = await startServerProcess(t, { MEETINGMUSE_DB: db, PORT: String(first.port) });
      assert.equal(second.port, first.port);
      await waitOnline(page);
      assert.equal(await page.locator('#log .entry').count(), entriesBefore);
      await say(page, 'show my meetings');
      await page.getByText(/^You have 1 meeting.*\n- Design review/).waitFor();

      await page.reload();
      await waitOnline(page);
      assert.ok((await page.locator('#log .entry').count()) > entriesBefore, 'history shown after a reload');
      assert.equal(await page.locator('.entry.notice').count(), 0, 'resumed, so no fresh-start notice');
      assert.equal(await upcoming.count(), 1);
    });

    it('shows RATE_LIMITED and BUSY as notices and sends the refused messages again', async (t) => {
      const { engine, release } = holdingEngine();
      const { base } = await startServer(t, {
        webUi: true,
        engine,
        maxQueuedMessages: 1,
        rateLimit: { burst: 3, perSecond: 0.5 },
      });
      const page = await openPage(t, `${base}/?id=web-busy-1`);
      await waitOnline(page);
      await say(page, 'slow');
      await page.locator('#typing:not([hidden])').waitFor();
      await say(page, 'queued');
      await say(page, 'refused');
      await page.getByText(/still working through your earlier messages/).waitFor();
      await say(page, 'too fast');
      await page.getByText(/sending faster than the server accepts/).waitFor();
      release();
      for (const text of ['slow', 'queued', 'refused', 'too fast'])
        await page.getByText(`Echo: ${text}`, { exact: true }).waitFor();
    });

    it('shows the replies that finished while it was away, and an unknown browser zone as a notice', async (t) => {
      const { engine, release } = holdingEngine();
      const { wsUrl, base } = await startServer(t, { webUi: true, engine });
      const page = await openPage(t, `${base}/?id=web-away-1`);
      await waitOnline(page);
      await say(page, 'slow');
      await page.locator('#typing:not([hidden])').waitFor();

      // Another device takes the conversation over (close 4000): the page stops and waits for the user.
      const other = await connectClient(t, wsUrl('web-away-1'));
      await page.getByText(/opened in another tab or device/).waitFor();
      assert.equal(await page.locator('#status').getAttribute('data-state'), 'offline');
      other.ws.close();
      await other.closed;
      release();
      await page.getByRole('button', { name: 'Retry now' }).click();
      await page.getByText('1 reply arrived while you were away.').waitFor();
      await page.getByText('Echo: slow', { exact: true }).waitFor();

      const lost = await browser.newContext();
      t.after(() => lost.close());
      // A browser reporting a zone the server does not know.
      await lost.addInitScript(
        'Intl.DateTimeFormat.prototype.resolvedOptions = function () { return { timeZone: "Mars/Olympus_Mons" }; };',
      );
      const martian = await lost.newPage();
      martian.setDefaultTimeout(UI_MS);
      await martian.goto(`${base}/?id=web-mars-1`);
      await martian
        .getByText('The server does not know your time zone (Mars/Olympus_Mons), so times are in its default zone.')
        .waitFor();
      await say(martian, 'hello');
      await martian.getByText('Echo: hello', { exact: true }).waitFor();
    });

    it('asks for a token when the server needs one, takes one from the page URL, and passes ALLOWED_ORIGINS', async (t) => {
      const secret = 'a-test-secret-of-at-least-32-characters!';
      const base = await mountedWithOwnOrigin(t, { webUi: true, engine: createEchoEngine(), authSecret: secret });
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('web-token-1')
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret));
      const server = { base };

      const page = await openPage(t, `${server.base}/?id=web-token-1`);
      await page.locator('#status[data-state="offline"]').waitFor();
      await page.getByText(/needs a token/).waitFor();
      assert.equal(await page.locator(':focus').getAttribute('id'), 'token', 'the token field has the focus');
      await page.keyboard.type(token);
      await page.keyboard.press('Enter');
      await waitOnline(page);

      const fromUrl = await openPage(t, `${server.base}/?token=${token}`);
      await waitOnline(fromUrl);
      assert.equal(new URL(fromUrl.url()).search, '', 'the token left the address bar');
      assert.equal(
        await fromUrl.locator('#client-id').inputValue(),
        'web-token-1',
        'the client id comes from the token',
      );
    });

    it('offers the calendar link the assistant hands out', async (t) => {
      const feed = 'https://calendar.example.test/feed/secret-abc.ics';
      const engine: ConversationEngine = {
        reply: (message) => ({
          replies: [
            /calendar/.test(message.content)
              ? { content: 'Subscribe to this link in your calendar app.', metadata: { calendar_url: feed } }
              : { content: 'Hi' },
          ],
        }),
      };
      const { base } = await startServer(t, { webUi: true, engine });
      const page = await openPage(t, `${base}/?id=web-cal-1`, { viewport: { width: 390, height: 844 } });
      await waitOnline(page);
      await page.getByRole('button', { name: 'Add to my calendar' }).click();
      const link = page.getByRole('link', { name: 'Subscribe' });
      await link.waitFor();
      assert.equal(await link.getAttribute('href'), 'webcal://calendar.example.test/feed/secret-abc.ics');
      await page.reload();
      await link.waitFor();
    });
  },
);
