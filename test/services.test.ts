import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createClient } from 'redis';
import { servicesMissing, useServices } from './services.ts';

const services = useServices({ redis: true });

describe('test services', { skip: servicesMissing(), timeout: 60_000 }, () => {
  it('runs a Postgres that answers on its loopback port, and comes back after a stop', async () => {
    const { postgres } = services();
    const url = await postgres.createDatabase();
    const query = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n;
      } finally {
        await client.end();
      }
    };
    assert.equal(await query(), 1);
    await postgres.stop();
    await assert.rejects(query(), { code: 'ECONNREFUSED' });
    await postgres.start();
    assert.equal(await query(), 1);
  });

  it('runs a Redis that answers on its loopback port', async () => {
    const { redis } = services();
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.destroy();
    }
  });
});
