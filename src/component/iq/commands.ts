/**
 * XEP-0050 Ad-Hoc Commands for gateway admins (`admins` in the config):
 * assign a number to a user, release a number, list assignments. Each
 * command is one form, so the flow is stateless: execute -> form,
 * submit -> completed.
 * https://xmpp.org/extensions/xep-0050.html
 */
import { xml, type Element } from '@xmpp/component';
import { addressCodec } from '../../addressing/index.js';
import { bare } from '../../bridge/outbound.js';
import { GatewayError } from '../../errors/registry.js';
import type { NumberStore } from '../../store/numbers.js';
import type { ComponentContext } from '../context.js';
import { dataForm, submittedValues, tableForm, type FormField } from '../forms.js';
import { NS } from '../stanzas.js';
import { guard } from './guard.js';

export interface Command {
  node: string;
  name: string;
  form?: FormField[];
  run(input: Record<string, string>, admin: string): Promise<Element>;
}

const note = (text: string) => xml('note', { type: 'info' }, text);

export function adminCommands(c: ComponentContext, numbers: NumberStore): Command[] {
  const codec = addressCodec('sms', { allowShortCodes: true });
  const log = c.logger.child({ domain: c.domain });
  const parseNumber = (input: string | undefined): string => {
    const parsed = codec.fromUserInput(input ?? '');
    if (!parsed.ok) throw new GatewayError('ADDRESS_INVALID', parsed.reason);
    return parsed.address;
  };
  const parseJid = (input: string | undefined): string => {
    const jid = bare((input ?? '').trim().toLowerCase());
    if (!/^[^@/\s]+@[^@/\s]+$/.test(jid)) throw new GatewayError('BAD_REQUEST', 'give the user as a bare JID, e.g. alice@example.org');
    return jid;
  };
  return [
    {
      node: 'assign-number',
      name: 'Assign a number to a user',
      form: [
        { var: 'number', type: 'text-single', label: 'Gateway number (E.164)', required: true },
        { var: 'jid', type: 'jid-single', label: 'User (bare JID)', required: true },
      ],
      async run(input, admin) {
        const number = parseNumber(input.number);
        const jid = parseJid(input.jid);
        const previous = await numbers.assign(number, jid);
        log.info({ admin, number, jid, previous }, 'number assigned by admin command');
        return note(previous && previous !== jid ? `${number} now belongs to ${jid} (taken from ${previous}).` : `${number} now belongs to ${jid}.`);
      },
    },
    {
      node: 'release-number',
      name: 'Release a number',
      form: [{ var: 'number', type: 'text-single', label: 'Gateway number (E.164)', required: true }],
      async run(input, admin) {
        const number = parseNumber(input.number);
        const owner = await numbers.releaseNumber(number);
        if (owner === undefined) throw new GatewayError('NOT_FOUND', `${number} is not assigned to anyone`);
        log.info({ admin, number, owner }, 'number released by admin command');
        return note(`${number} released from ${owner}.`);
      },
    },
    {
      node: 'list-numbers',
      name: 'List number assignments',
      async run() {
        const all = await numbers.all();
        const free = await numbers.freeNumbers();
        const rows = [
          ...Object.entries(all).map(([number, jid]) => ({ number, jid })),
          ...free.map((number) => ({ number, jid: '(free)' })),
        ].sort((a, b) => a.number.localeCompare(b.number));
        return tableForm(`Numbers on ${c.domain}`, [{ var: 'number', label: 'Number' }, { var: 'jid', label: 'Owner' }], rows);
      },
    },
  ];
}

export function registerCommands(c: ComponentContext, commands: Command[]): void {
  const { iqCallee } = c.connection.entity;

  iqCallee.set(
    NS.COMMANDS,
    'command',
    guard(async (ctx) => {
      const admin = bare(String(ctx.stanza.attrs.from ?? ''));
      if (!c.isAdmin(admin)) throw new GatewayError('SENDER_FORBIDDEN', 'only gateway admins may run commands');
      const node = String(ctx.element.attrs.node ?? '');
      const command = commands.find((cmd) => cmd.node === node);
      if (command === undefined) throw new GatewayError('NOT_FOUND', `no command ${node}`);
      const sessionid = String(ctx.element.attrs.sessionid ?? crypto.randomUUID());
      const reply = (status: string, ...children: Element[]) => xml('command', { xmlns: NS.COMMANDS, node, sessionid, status }, ...children);
      if (ctx.element.attrs.action === 'cancel') return reply('canceled');
      const input = submittedValues(ctx.element);
      if (command.form !== undefined && input === undefined) {
        return reply(
          'executing',
          xml('actions', { execute: 'complete' }, xml('complete')),
          dataForm({ type: 'form', title: command.name, fields: command.form }),
        );
      }
      return reply('completed', await command.run(input ?? {}, admin));
    }),
  );
}

/** disco#items of the commands node: what an admin may run (XEP-0050 §2.2); nothing for others. */
export function commandItems(c: ComponentContext, commands: Command[], requester: string): Element[] {
  if (!c.isAdmin(bare(requester))) return [];
  return commands.map((cmd) => xml('item', { jid: c.domain, node: cmd.node, name: cmd.name }));
}
