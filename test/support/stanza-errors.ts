/**
 * Reading a stanza error the way a client does (RFC 6120 §8.3): the error
 * type, the defined condition (an element in the stanzas namespace) and the
 * optional human-readable text.
 */
import type { Element } from 'ltx';

export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The defined condition of a stanza error (`jid-malformed`, ...), or undefined when there is none. */
export function errorCondition(el: Element | undefined): string | undefined {
  const error = el?.getChild('error');
  return error?.getChildElements().find((c: Element) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
}

/** The error's type attribute (`cancel`, `modify`, `wait`, `auth`, `continue`), or undefined. */
export function errorType(el: Element | undefined): string | undefined {
  const type = el?.getChild('error')?.attrs.type;
  return typeof type === 'string' ? type : undefined;
}

/** The error's human-readable text, or '' when it has none. */
export function errorText(el: Element | undefined): string {
  const error = el?.getChild('error');
  return error?.getChildText('text', NS_STANZAS) ?? error?.getChildText('text') ?? '';
}
