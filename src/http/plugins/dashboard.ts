/**
 * The queue dashboard at /admin/ (bull-board, its Fastify adapter): every
 * queue the gateway uses, out/<domain> and in/<domain>, with their jobs, and
 * retry and clean buttons. The server puts it behind the admin token.
 * https://github.com/felixmosh/bull-board
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';

export interface DashboardDeps {
  /** Every queue this gateway uses, by name; empty until the gateway has started. */
  queues(): Map<string, Queue>;
  /** Where the board is mounted (its pages link their assets and API under it). */
  basePath: string;
}

/** What each queue holds, shown under its name. */
function describe(name: string): string {
  return name.startsWith('out/')
    ? 'XMPP users -> network: one job per message to deliver'
    : 'network -> XMPP users: messages, delivery statuses, receipts and errors for senders';
}

export function dashboardRoutes(deps: DashboardDeps): FastifyPluginAsync {
  const serverAdapter = new FastifyAdapter().setBasePath(deps.basePath);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'xmpp-gateway' } },
  });
  // Errors of the board's routes, and the admin guard's 401 on them, go to the server's one error
  // handler (Fastify hands an error its scope's handler throws to the parent's) instead of becoming
  // bull-board's 500s.
  serverAdapter.setErrorHandler((err) => {
    throw err;
  });
  // The queues are made when the gateway starts, after the routes exist: the board takes them on first use.
  let shown: Queue[] = [];
  const sync = (): void => {
    const current = [...deps.queues().values()];
    if (current.length === shown.length && current.every((q, i) => q === shown[i])) return;
    shown = current;
    board.replaceQueues(current.map((q) => new BullMQAdapter(q, { description: describe(q.name) })));
  };
  return async (app) => {
    app.addHook('onRequest', async () => sync());
    await app.register(serverAdapter.registerPlugin());
  };
}
