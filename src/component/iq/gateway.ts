/**
 * XEP-0100 §6.3 jabber:iq:gateway: the client asks for a prompt ("Phone
 * number") and sends what the user typed; the gateway answers with the
 * contact JID, the way Gajim and Movim add contacts.
 * https://xmpp.org/extensions/xep-0100.html#addressing-iqgateway
 */
import { xml } from '@xmpp/component';
import { contactJid } from '../../addressing/index.js';
import { GatewayError } from '../../errors/registry.js';
import type { ComponentContext } from '../context.js';
import { NS } from '../stanzas.js';
import { guard } from './guard.js';

export function registerGateway(c: ComponentContext): void {
  const { iqCallee } = c.connection.entity;

  iqCallee.get(
    NS.GATEWAY,
    'query',
    guard(() =>
      xml('query', { xmlns: NS.GATEWAY }, xml('desc', {}, c.codec.description), xml('prompt', {}, c.codec.prompt)),
    ),
  );

  iqCallee.set(
    NS.GATEWAY,
    'query',
    guard((ctx) => {
      const input = ctx.element.getChildText('prompt');
      if (input === null || input.trim() === '') throw new GatewayError('BAD_REQUEST', `missing <prompt/>: ${c.codec.prompt}`);
      const result = c.codec.fromUserInput(input);
      if (!result.ok) throw new GatewayError('ADDRESS_INVALID', result.reason);
      // XEP-0100 §6.3: the answer is <jid/> (older clients read <prompt/>; XEP-0100 says <jid/>).
      return xml('query', { xmlns: NS.GATEWAY }, xml('jid', {}, contactJid(result.localpart, c.domain)));
    }),
  );
}
