/** XEP-0199 XMPP Ping, on the component and on contacts. https://xmpp.org/extensions/xep-0199.html */
import { toLocal, type ComponentContext } from '../context.js';
import { NS } from '../stanzas.js';
import { requireContact } from './disco.js';
import { guard } from './guard.js';

export function registerPing(c: ComponentContext): void {
  c.connection.entity.iqCallee.get(
    NS.PING,
    'ping',
    guard((ctx) => {
      const local = toLocal(ctx);
      if (local !== '') requireContact(c, local);
      return true;
    }),
  );
}
