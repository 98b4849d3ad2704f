// Prints a client token for testing: npm run token -- <client_id> [--ttl 1h]
// Signs with AUTH_SECRET from the environment (HS256, sub = client_id, exp = now + ttl).
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { isValidClientId } from '../lib/protocol.ts';

const { values, positionals } = parseArgs({
  options: { ttl: { type: 'string', default: '1h' } },
  allowPositionals: true,
});
const [clientId] = positionals;
const secret = process.env.AUTH_SECRET;
if (!secret) {
  console.error('AUTH_SECRET is not set');
  process.exit(1);
}
if (!clientId || !isValidClientId(clientId)) {
  console.error('usage: npm run token -- <client_id> [--ttl 1h]   (client_id: 3-100 of A-Z a-z 0-9 _ -)');
  process.exit(1);
}
try {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(clientId)
    .setIssuedAt()
    .setExpirationTime(values.ttl!)
    .sign(new TextEncoder().encode(secret));
  console.log(token);
} catch (err) {
  console.error(`cannot make a token: ${(err as Error).message} (--ttl takes forms like 30m, 1h, 7d)`);
  process.exit(1);
}
