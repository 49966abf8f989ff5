/**
 * Presence to contacts (RFC 6121 §3, §4): subscription requests are accepted so
 * contacts can sit on rosters; probes are answered with the contact's
 * (always available) presence. Only for JIDs the access rules (`allow`) let
 * use the component: anyone else gets one `unsubscribed` per subscription
 * request (RFC 6121 §3.2: a declined subscription) and nothing else, so the
 * gateway cannot be made to reflect traffic.
 */
import type { IncomingContext, Next } from '@xmpp/component';
import { bare } from '../addressing/index.js';
import { GatewayError } from '../errors/registry.js';
import { toLocal, type ComponentContext } from './context.js';
import { presence, presenceError } from './stanzas.js';

export function presenceHandler(c: ComponentContext) {
  const log = c.logger.child({ domain: c.domain });

  return async function onPresence(ctx: IncomingContext, next: Next): Promise<unknown> {
    if (ctx.name !== 'presence') return next();
    const to = String(ctx.stanza.attrs.to ?? '');
    const from = String(ctx.stanza.attrs.from ?? '');
    const userBare = bare(from);
    const local = toLocal(ctx);
    const entity = local === '' ? c.domain : `${local}@${c.domain}`;
    const send = async (type?: string) => {
      await c.connection.send(presence({ from: entity, to: type === undefined ? from : userBare, type }));
      c.metrics.at(c.metrics.stanzasOut, c.domain, 'presence').inc();
    };

    if (!c.isAllowed(userBare)) {
      if (ctx.type === 'subscribe') {
        await send('unsubscribed');
        log.info({ user: userBare, contact: entity }, 'presence subscription declined: not allowed to use this component');
      }
      return undefined;
    }
    if (local !== '' && ['subscribe', 'probe'].includes(ctx.type)) {
      const address = c.codec.fromLocalpart(local);
      if (!address.ok) {
        await c.connection.send(
          presenceError({ from: to, to: from, id: ctx.id, error: new GatewayError('ADDRESS_INVALID', address.reason) }),
        );
        return undefined;
      }
    }
    switch (ctx.type) {
      case 'subscribe':
        await send('subscribed');
        await send();
        log.info({ user: userBare, contact: entity }, 'presence subscription accepted');
        break;
      case 'unsubscribe':
        await send('unsubscribed');
        break;
      case 'probe':
        await send();
        break;
      default:
        // available/unavailable/subscribed/unsubscribed from users need no answer.
        break;
    }
    return undefined;
  };
}
