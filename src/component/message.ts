/**
 * `<message>` from a local user to a contact: validate, enqueue, return. The
 * only replies from here are error stanzas (with the original id) for
 * messages that cannot be accepted; receipts come later from the network.
 */
import type { Element, IncomingContext, Next } from '@xmpp/component';
import { GatewayError, asGatewayError } from '../errors/registry.js';
import { toLocal, type ComponentContext } from './context.js';
import { NS, messageError } from './stanzas.js';
import type { Attachment } from '../queue/jobs.js';

/** Message types that must not be answered (RFC 6121 §5.2.2: no error to an error; headlines expect no reply). */
const IGNORED_TYPES = new Set(['error', 'headline']);

/** XEP-0066 `<x xmlns="jabber:x:oob"><url/><desc/></x>`: the files a client attached (XEP-0363 uploads). */
function oobAttachments(stanza: Element): Attachment[] {
  return stanza.getChildren('x', NS.OOB).flatMap((x) => {
    const url = x.getChildText('url')?.trim() ?? '';
    const desc = x.getChildText('desc')?.trim() ?? '';
    return url === '' ? [] : [{ url, ...(desc === '' ? {} : { name: desc }) }];
  });
}

/** `{ [key]: value }`, or nothing when the value is absent. */
function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** The text of a child element, or undefined when it is absent or blank. */
function childText(stanza: Element, name: string): string | undefined {
  const text = stanza.getChildText(name)?.trim();
  return text === undefined || text === '' ? undefined : text;
}

export function messageHandler(c: ComponentContext) {
  const log = c.logger.child({ domain: c.domain });

  return async function onMessage(ctx: IncomingContext, next: Next): Promise<unknown> {
    if (ctx.name !== 'message') return next();
    const { stanza } = ctx;
    if (IGNORED_TYPES.has(ctx.type)) return undefined;
    const body = stanza.getChildText('body');
    const attachments = oobAttachments(stanza);
    // Chat states, receipts for our messages, markers: nothing to deliver.
    if (body === null && attachments.length === 0) return undefined;

    const senderJid = String(stanza.attrs.from ?? '');
    const contactJid = String(stanza.attrs.to ?? '');
    const local = toLocal(ctx);
    const reply = (error: GatewayError) =>
      c.connection.send(messageError({ from: contactJid, to: senderJid, id: ctx.id, error }));

    try {
      if (ctx.type === 'groupchat') {
        // RFC 6121 §8.5.2.1.1: groupchat to an address that is no room gets service-unavailable.
        throw new GatewayError('UNSUPPORTED_STANZA', `${c.domain} contacts are not group chats; send the message as chat`);
      }
      if (c.isDraining()) throw new GatewayError('SERVICE_UNAVAILABLE', 'the gateway is restarting, send again in a moment');
      if (local === '') {
        throw new GatewayError('NOT_FOUND', `send messages to a contact on this gateway, e.g. <address>@${c.domain}: ${c.codec.prompt}`);
      }
      const { message, outcome, facts } = await c.outbound.accept({
        senderJid,
        contactLocalpart: local,
        stanzaId: ctx.id,
        body: body ?? '',
        attachments,
        ...optional('subject', childText(stanza, 'subject')),
        ...optional('thread', childText(stanza, 'thread')),
        // XEP-0172 §4.2: a nickname may travel in a message; the first one counts.
        ...optional('nick', stanza.getChildText('nick', NS.NICK)?.trim() || undefined),
        receiptRequested: stanza.getChild('request', NS.RECEIPTS) !== undefined,
      });
      c.metrics.outboundAccepted.inc({ domain: c.domain, result: outcome });
      log.info({ id: message.id, from: senderJid, to: message.to, stanzaId: ctx.id, outcome, ...facts }, 'outbound message accepted');
    } catch (thrown) {
      const err = asGatewayError(thrown);
      c.metrics.outboundRejected.inc({ domain: c.domain, code: err.code });
      log[err.code === 'INTERNAL' ? 'error' : 'info'](
        { from: senderJid, to: contactJid, stanzaId: ctx.id, code: err.code, reason: err.message },
        'outbound message refused',
      );
      await reply(err);
      c.metrics.stanzasOut.inc({ domain: c.domain, kind: 'error' });
    }
    return undefined;
  };
}
