/**
 * Stanza builders and the one place where gateway errors become stanza
 * errors (RFC 6120 §8.3). Everything is built with the `xml()` that
 * @xmpp/component uses, so the iq callee recognises our elements.
 */
import { xml, type Element } from '@xmpp/component';
import { publicText, type GatewayError } from '../errors/registry.js';
import { xmlSafe } from '../xml-chars.js';

export { isXmlSafe, xmlSafe } from '../xml-chars.js';

export const NS = {
  STANZAS: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  DISCO_INFO: 'http://jabber.org/protocol/disco#info',
  DISCO_ITEMS: 'http://jabber.org/protocol/disco#items',
  PING: 'urn:xmpp:ping',
  VERSION: 'jabber:iq:version',
  RECEIPTS: 'urn:xmpp:receipts',
  GATEWAY: 'jabber:iq:gateway',
  REGISTER: 'jabber:iq:register',
  COMMANDS: 'http://jabber.org/protocol/commands',
  DATA: 'jabber:x:data',
  OOB: 'jabber:x:oob',
  /** XEP-0172 User Nickname. */
  NICK: 'http://jabber.org/protocol/nick',
} as const;

/**
 * The one sanitiser: every attribute value and text node of `el` and its
 * descendants through {@link xmlSafe}, in place. The connection applies it
 * to everything the component writes (iq callee replies and forms
 * included), so no builder has to remember it; the builders here that carry
 * foreign text apply it as well, so what they return is already what goes
 * out.
 */
export function xmlSafeTree(el: Element): Element {
  for (const [name, value] of Object.entries(el.attrs)) {
    if (typeof value === 'string') el.attrs[name] = xmlSafe(value);
  }
  el.children.forEach((child, i) => {
    if (typeof child === 'string') el.children[i] = xmlSafe(child);
    else if (typeof child === 'object' && child !== null) xmlSafeTree(child as Element);
  });
  return el;
}

/** `<error type=…><condition/><text>…</text></error>` for a gateway error; the text is what users may read (`publicText`). */
export function errorElement(err: GatewayError): Element {
  const { condition, type } = err.spec;
  return xmlSafeTree(xml(
    'error',
    { type },
    xml(condition, { xmlns: NS.STANZAS }),
    xml('text', { xmlns: NS.STANZAS, 'xml:lang': 'en' }, publicText(err)),
  ));
}

/**
 * A message error stanza back to the sender, carrying the original id
 * (RFC 6120 §8.2: the error stanza's id is the id of the stanza it answers).
 */
export function messageError(opts: { from: string; to: string; id: string; error: GatewayError }): Element {
  return xml('message', { type: 'error', from: opts.from, to: opts.to, id: opts.id || undefined }, errorElement(opts.error));
}

/** A presence error back to the sender. */
export function presenceError(opts: { from: string; to: string; id: string; error: GatewayError }): Element {
  return xml('presence', { type: 'error', from: opts.from, to: opts.to, id: opts.id || undefined }, errorElement(opts.error));
}

/** XEP-0184 §4: `<received id=…/>` for the stanza id the sender used. */
export function receipt(opts: { from: string; to: string; stanzaId: string }): Element {
  return xml(
    'message',
    { from: opts.from, to: opts.to, id: `r-${crypto.randomUUID()}` },
    xml('received', { xmlns: NS.RECEIPTS, id: opts.stanzaId }),
  );
}

/**
 * A message from a contact to a local user (`chat`) or a room (`groupchat`);
 * media as body text plus XEP-0066 OOB (what Conversations and Gajim render
 * inline); `<subject>` and `<thread>` where the foreign message had them.
 */
export function chatMessage(opts: {
  from: string;
  to: string;
  id: string;
  body: string;
  mediaUrls: string[];
  type?: 'chat' | 'groupchat';
  subject?: string;
  thread?: string;
  /** XEP-0308 Last Message Correction: the id of the message this one corrects. */
  replaces?: string;
}): Element {
  const urls = opts.mediaUrls;
  const text = opts.body;
  const body = [text, ...urls.filter((u) => !text.includes(u))].filter((s) => s !== '').join('\n');
  return xmlSafeTree(xml(
    'message',
    { type: opts.type ?? 'chat', from: opts.from, to: opts.to, id: opts.id },
    opts.subject === undefined ? null : xml('subject', {}, opts.subject),
    xml('body', {}, body),
    opts.thread === undefined ? null : xml('thread', {}, opts.thread),
    ...urls.map((url) => xml('x', { xmlns: NS.OOB }, xml('url', {}, url))),
    opts.replaces === undefined ? null : xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: opts.replaces }),
  ));
}

export function presence(opts: { from: string; to: string; type?: string }): Element {
  return xml('presence', { from: opts.from, to: opts.to, type: opts.type });
}
