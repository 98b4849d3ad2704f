import type { TestContext } from 'node:test';
import { startServerProcess, type ServerProcess } from './server-process.ts';

/** One server.ts process, as an operator runs it behind a load balancer. */
export type Instance = ServerProcess;

/** Starts server.ts with the echo engine (unless `env` names another) on a free loopback port. */
export function startInstance(t: Pick<TestContext, 'after'>, env: Record<string, string>): Promise<Instance> {
  return startServerProcess(t, { MEETINGMUSE_ENGINE: 'echo', ...env });
}
