/**
 * XEP-0050 Ad-Hoc Commands for gateway admins (`admins` in the config):
 * assign a gateway address (an SMS number, a mail address) to a user,
 * release one, list assignments; worded by the network. (The commands that
 * run the gateway, statistics, backlog, failed deliveries, are in
 * operations.ts.) Each command is at most one form, so the flow is
 * stateless: execute -> form, submit -> completed. Only admins see the
 * commands (disco#items) and may run them.
 * https://xmpp.org/extensions/xep-0050.html
 */
import { xml, type Element } from '@xmpp/component';
import { bare, isBareJid } from '../../addressing/index.js';
import { GatewayError } from '../../errors/registry.js';
import type { ComponentContext, ComponentOwnership } from '../context.js';
import { dataForm, firstValues, submittedFields, tableForm, type FormField } from '../forms.js';
import { NS } from '../stanzas.js';
import { pluralNoun } from '../../store/ownership.js';
import { guard } from './guard.js';

export interface Command {
  node: string;
  name: string;
  /** The form to fill in first: fixed, or made when the command is executed (choices from the current state). */
  form?: FormField[] | (() => Promise<FormField[]>);
  /** `input`: each submitted field's first value; `lists`: all of them (list-multi). */
  run(input: Record<string, string>, admin: string, lists: Record<string, string[]>): Promise<Element | Element[]>;
}

const note = (text: string) => xml('note', { type: 'info' }, text);

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function adminCommands(c: ComponentContext, ownership: ComponentOwnership): Command[] {
  const { store, wording } = ownership;
  const { noun, aNoun } = wording;
  const log = c.logger.child({ domain: c.domain });
  const parseAddress = (input: string | undefined): string => {
    const parsed = ownership.parse(input ?? '');
    if (!parsed.ok) throw new GatewayError('ADDRESS_INVALID', parsed.reason);
    return parsed.address;
  };
  const parseJid = (input: string | undefined): string => {
    const jid = bare((input ?? '').trim().toLowerCase());
    if (!isBareJid(jid)) throw new GatewayError('BAD_REQUEST', 'give the user as a bare JID, e.g. alice@example.org');
    return jid;
  };
  return [
    {
      node: `assign-${noun}`,
      name: `Assign ${aNoun} to a user`,
      form: [
        { var: wording.field.var, type: 'text-single', label: wording.adminLabel, required: true },
        { var: 'jid', type: 'jid-single', label: 'User (bare JID)', required: true },
      ],
      async run(input, admin) {
        const address = parseAddress(input[wording.field.var]);
        const jid = parseJid(input.jid);
        const previous = await store.assign(address, jid);
        log.info({ admin, [noun]: address, jid, previous }, `${noun} assigned by admin command`);
        return note(previous && previous !== jid ? `${address} now belongs to ${jid} (taken from ${previous}).` : `${address} now belongs to ${jid}.`);
      },
    },
    {
      node: `release-${noun}`,
      name: `Release ${aNoun}`,
      form: [{ var: wording.field.var, type: 'text-single', label: wording.adminLabel, required: true }],
      async run(input, admin) {
        const address = parseAddress(input[wording.field.var]);
        const owner = await store.releaseAddress(address);
        if (owner === undefined) throw new GatewayError('NOT_FOUND', `${address} is not assigned to anyone`);
        log.info({ admin, [noun]: address, owner }, `${noun} released by admin command`);
        return note(`${address} released from ${owner}.`);
      },
    },
    {
      node: `list-${pluralNoun(wording)}`,
      name: `List ${noun} assignments`,
      async run() {
        const all = await store.all();
        const free = await store.freeAddresses();
        const rows = [
          ...Object.entries(all).map(([address, jid]) => ({ [wording.field.var]: address, jid })),
          ...free.map((address) => ({ [wording.field.var]: address, jid: '(free)' })),
        ].sort((a, b) => String(a[wording.field.var]).localeCompare(String(b[wording.field.var])));
        return tableForm(
          `${capitalised(pluralNoun(wording))} on ${c.domain}`,
          [{ var: wording.field.var, label: capitalised(noun) }, { var: 'jid', label: 'Owner' }],
          rows,
        );
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
      const lists = submittedFields(ctx.element);
      if (command.form !== undefined && lists === undefined) {
        const fields = typeof command.form === 'function' ? await command.form() : command.form;
        return reply('executing', xml('actions', { execute: 'complete' }, xml('complete')), dataForm({ type: 'form', title: command.name, fields }));
      }
      const result = await command.run(firstValues(lists ?? {}), admin, lists ?? {});
      return reply('completed', ...(Array.isArray(result) ? result : [result]));
    }),
  );
}

/** disco#items of the commands node: what an admin may run (XEP-0050 §2.2); nothing for others. */
export function commandItems(c: ComponentContext, commands: Command[], requester: string): Element[] {
  return visibleCommands(c, commands, requester).map((cmd) => xml('item', { jid: c.domain, node: cmd.node, name: cmd.name }));
}

/** The commands `requester` may see and run: all of them for an admin, none for anyone else. */
export function visibleCommands(c: ComponentContext, commands: Command[], requester: string): Command[] {
  return c.isAdmin(bare(requester)) ? commands : [];
}
