/** XEP-0092 Software Version. The OS is left out on purpose (XEP-0092 §5: it helps attackers). */
import { xml } from '@xmpp/component';
import type { ComponentContext } from '../context.js';
import { NS } from '../stanzas.js';
import { guard } from './guard.js';

export function registerVersion(c: ComponentContext): void {
  c.connection.entity.iqCallee.get(
    NS.VERSION,
    'query',
    guard(() =>
      xml('query', { xmlns: NS.VERSION }, xml('name', {}, c.software.name), xml('version', {}, c.software.version)),
    ),
  );
}
