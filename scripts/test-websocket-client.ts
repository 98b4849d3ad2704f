// The original server's test client, in TypeScript: walks the protocol against a running server and
// prints ✓ or ✗ per step; exits 1 if any step failed, 2 on bad options. Usage: npm run client -- --help
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const USAGE = `Walk the MeetingMuse protocol against a running server, one ✓ or ✗ per step.

Usage: npm run client -- [options]

  --url <ws://host:port/ws/id>  where to connect (default ws://localhost:8000/ws/test-client-001)
  --token <jwt>                 a client token, when the server has AUTH_SECRET (npm run token -- <id>)
  --admin-token <token>         the server's ADMIN_TOKEN, for the admin routes (needed unless on loopback)
  --broadcast                   also POST /admin/broadcast: every connected user receives it
  -h, --help                    this text

Exit code: 0 when every step passed, 1 when one failed, 2 on bad options.`;

function readOptions() {
  try {
    const { values } = parseArgs({
      options: {
        url: { type: 'string', default: 'ws://localhost:8000/ws/test-client-001' },
        token: { type: 'string' },
        'admin-token': { type: 'string' },
        broadcast: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const url = new URL(values.url!);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error('--url must start with ws:// or wss://');
    return { url, token: values.token, adminToken: values['admin-token'], broadcast: values.broadcast };
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const options = readOptions();
const wsUrl = options.url;
const httpBase = `${wsUrl.protocol === 'wss:' ? 'https' : 'http'}://${wsUrl.host}`;
const clientId = wsUrl.pathname.split('/').pop() ?? 'test-client-001';
const adminHeaders: Record<string, string> = options.adminToken
  ? { authorization: `Bearer ${options.adminToken}` }
  : {};
const STEP_MS = 5_000;
let failures = 0;

function report(ok: boolean, step: string, detail = ''): void {
  if (!ok) failures++;
  console.log(`${ok ? '✓' : '✗'} ${step}${detail ? `: ${detail}` : ''}`);
}

// The token rides in the subprotocol list, as a browser sends it, so it stays out of URLs and logs.
const socket = options.token ? new WebSocket(wsUrl, ['bearer', options.token]) : new WebSocket(wsUrl);
const inbox: Array<Record<string, unknown>> = [];
let wake: (() => void) | undefined;
socket.on('message', (data) => {
  inbox.push(JSON.parse(data.toString()) as Record<string, unknown>);
  wake?.();
});
socket.on('close', () => wake?.());
socket.on('error', (err) => {
  report(false, `connect to ${wsUrl.href}`, err.message);
  process.exit(1);
});

async function nextFrame(): Promise<Record<string, unknown> | undefined> {
  const deadline = Date.now() + STEP_MS;
  while (inbox.length === 0 && socket.readyState !== WebSocket.CLOSED && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, deadline - Date.now()).unref();
    });
  }
  return inbox.shift();
}

async function expectFrame(
  step: string,
  check: (frame: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown> | undefined> {
  const frame = await nextFrame();
  report(
    frame !== undefined && check(frame),
    step,
    frame ? JSON.stringify(frame) : socket.readyState === WebSocket.CLOSED ? 'socket closed' : 'no frame',
  );
  return frame;
}

/** A refused admin route says why, so the user knows which option is missing. */
function adminHint(status: number): string {
  if (status === 401)
    return options.adminToken ? ' (the --admin-token is wrong)' : ' (the server has ADMIN_TOKEN: pass --admin-token)';
  if (status === 403) return ' (admin routes answer loopback callers only: pass --admin-token)';
  return '';
}

await new Promise((resolve) => socket.once('open', resolve));
report(true, `connect to ${wsUrl.href}`);
await expectFrame('connection_established', (f) => f.type === 'system' && f.content === 'connection_established');

const content = 'I want to schedule a meeting for tomorrow';
socket.send(
  JSON.stringify({
    type: 'user_message',
    content,
    timestamp: new Date().toISOString(),
    session_id: clientId,
    message_id: randomUUID(),
  }),
);
await expectFrame('processing notification', (f) => f.type === 'system' && f.content === 'processing');
await expectFrame(
  'bot reply',
  (f) => f.type === 'bot_response' && typeof f.content === 'string' && f.content.length > 0,
);

socket.send('this is not JSON');
await expectFrame(
  'invalid JSON answered with INVALID_MESSAGE_FORMAT',
  (f) => f.type === 'error' && f.error_code === 'INVALID_MESSAGE_FORMAT',
);

for (const path of ['/health', '/health/clients', '/admin/connections']) {
  try {
    const res = await fetch(`${httpBase}${path}`, { headers: path === '/health' ? {} : adminHeaders });
    const body = (await res.json()) as Record<string, unknown>;
    report(
      res.ok,
      `GET ${path}`,
      `${res.status} active_connections=${String(body.active_connections)}${adminHint(res.status)}`,
    );
  } catch (err) {
    report(false, `GET ${path}`, (err as Error).message);
  }
}

if (!options.broadcast) {
  console.log('- POST /admin/broadcast skipped: it reaches every connected user (pass --broadcast)');
} else {
  try {
    const res = await fetch(`${httpBase}/admin/broadcast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...adminHeaders },
      body: JSON.stringify({ content: 'Broadcast from the test client' }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    report(
      res.ok && body.status === 'success',
      'POST /admin/broadcast',
      `${res.status} successful_sends=${String(body.successful_sends)}${adminHint(res.status)}`,
    );
    if (res.ok) await expectFrame('broadcast received', (f) => f.content === 'Broadcast from the test client');
  } catch (err) {
    report(false, 'POST /admin/broadcast', (err as Error).message);
  }
}

socket.close(1000);
console.log(failures === 0 ? 'All steps passed.' : `${failures} step(s) failed.`);
process.exit(failures === 0 ? 0 : 1);
