/**
 * XEP-0030 Service Discovery on the component and on contact JIDs.
 * https://xmpp.org/extensions/xep-0030.html
 */
import { xml, type Element } from '@xmpp/component';
import { GatewayError } from '../../errors/registry.js';
import { toLocal, type ComponentContext } from '../context.js';
import { NS } from '../stanzas.js';
import { commandItems, visibleCommands, type Command } from './commands.js';
import { guard, type IqContext } from './guard.js';

/** Features the component itself really serves: registration only where users own addresses (sms, email), commands where there are any. */
export function componentFeatures(c: Pick<ComponentContext, 'ownership'>, commands: readonly Command[]): string[] {
  return [
    NS.DISCO_INFO,
    NS.DISCO_ITEMS,
    NS.GATEWAY,
    NS.PING,
    NS.RECEIPTS,
    NS.VERSION,
    ...(c.ownership ? [NS.REGISTER] : []),
    ...(commands.length > 0 ? [NS.COMMANDS] : []),
  ];
}

/** Features a contact (a foreign address) serves: receipts come from the contact JID. */
export function contactFeatures(): string[] {
  return [NS.DISCO_INFO, NS.PING, NS.RECEIPTS];
}

/** Throws item-not-found when `local` is not a valid address on this network. */
export function requireContact(c: ComponentContext, local: string): string {
  const address = c.codec.fromLocalpart(local);
  if (!address.ok) throw new GatewayError('NOT_FOUND', `no such contact: ${address.reason}`);
  if (c.contacts !== undefined && c.contacts.describe(address.address) === undefined) {
    throw new GatewayError('NOT_FOUND', c.contacts.unknown(address.address));
  }
  return address.address;
}

export function registerDisco(c: ComponentContext, commands: Command[]): void {
  const { iqCallee } = c.connection.entity;
  const { identity } = c;

  iqCallee.get(
    NS.DISCO_INFO,
    'query',
    guard((ctx: IqContext): Element => {
      const node = ctx.element.attrs.node as string | undefined;
      const local = toLocal(ctx);
      if (node !== undefined) {
        // XEP-0050 §2.3: a command node describes itself, to those who may run it.
        const command = local === '' ? visibleCommands(c, commands, String(ctx.stanza.attrs.from ?? '')).find((cmd) => cmd.node === node) : undefined;
        if (command === undefined) throw new GatewayError('NOT_FOUND', `no disco node ${node}`);
        return xml(
          'query',
          { xmlns: NS.DISCO_INFO, node },
          xml('identity', { category: 'automation', type: 'command-node', name: command.name }),
          xml('feature', { var: NS.COMMANDS }),
          xml('feature', { var: NS.DATA }),
        );
      }
      if (local === '') {
        return xml(
          'query',
          { xmlns: NS.DISCO_INFO },
          xml('identity', { category: 'gateway', type: identity.gatewayType, name: identity.name }),
          ...componentFeatures(c, commands).map((v) => xml('feature', { var: v })),
        );
      }
      const address = requireContact(c, local);
      return xml(
        'query',
        { xmlns: NS.DISCO_INFO },
        xml('identity', { category: 'client', type: identity.contactType, name: c.contacts?.describe(address) ?? address }),
        ...contactFeatures().map((v) => xml('feature', { var: v })),
      );
    }),
  );

  iqCallee.get(
    NS.DISCO_ITEMS,
    'query',
    guard((ctx: IqContext): Element => {
      const local = toLocal(ctx);
      if (local !== '') requireContact(c, local);
      const node = ctx.element.attrs.node as string | undefined;
      if (node === NS.COMMANDS && local === '') {
        return xml('query', { xmlns: NS.DISCO_ITEMS, node }, ...commandItems(c, commands, String(ctx.stanza.attrs.from ?? '')));
      }
      if (node !== undefined) throw new GatewayError('NOT_FOUND', `no disco node ${node}`);
      return xml('query', { xmlns: NS.DISCO_ITEMS });
    }),
  );
}
