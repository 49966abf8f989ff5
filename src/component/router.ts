/**
 * Wires one component's stanza handlers onto its connection: a counting
 * middleware that also pauses reading while too many stanzas are in flight, the iq callee routes (by namespace and element), then message
 * and presence middleware. Unknown iq payloads get service-unavailable from
 * the iq callee itself, so every iq get/set gets exactly one reply.
 */
import type { IncomingContext, Next } from '@xmpp/component';
import type { ComponentContext } from './context.js';
import { adminCommands, registerCommands } from './iq/commands.js';
import { registerDisco } from './iq/disco.js';
import { registerGateway } from './iq/gateway.js';
import { operationsCommands } from './iq/operations.js';
import { registerPing } from './iq/ping.js';
import { registerRegistration } from './iq/register.js';
import { registerVersion } from './iq/version.js';
import { messageHandler } from './message.js';
import { presenceHandler } from './presence.js';
import { ReadGate } from './read-gate.js';

export function registerRoutes(c: ComponentContext): void {
  const { entity } = c.connection;
  // Reading pauses while too many received stanzas are still being handled (read-gate.ts).
  const gate = new ReadGate(() => entity.socket);
  entity.middleware.use((ctx: IncomingContext, next: Next) => {
    c.metrics.at(c.metrics.stanzasIn, c.domain, ctx.name).inc();
    return gate.run(async () => next());
  });
  const commands = [...(c.ownership ? adminCommands(c, c.ownership) : []), ...(c.operations ? operationsCommands(c.operations) : [])];
  registerDisco(c, commands);
  registerPing(c);
  registerVersion(c);
  registerGateway(c);
  if (c.ownership) registerRegistration(c, c.ownership);
  if (commands.length > 0) registerCommands(c, commands);
  if (c.rooms) entity.middleware.use(c.rooms.middleware());
  entity.middleware.use(messageHandler(c));
  entity.middleware.use(presenceHandler(c));
}
