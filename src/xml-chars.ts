/**
 * Pure string rules for what may become XML (XML 1.0 §2.2); the component
 * applies them to everything it writes (`component/stanzas.ts` xmlSafeTree).
 */

/** XML 1.0 §2.2 Char: what no attribute or text may hold. */
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_NON_XML_CHAR = new RegExp(NOT_XML_CHAR.source);

/**
 * Text from outside (provider webhooks, SMSCs, error reasons) made safe for
 * XML 1.0: characters outside the Char production (C0 controls except tab,
 * LF and CR; U+FFFE/U+FFFF; lone surrogates) become U+FFFD. One such
 * character would otherwise make the server close the component's stream as
 * not-well-formed (XML 1.0 §2.2, RFC 6120 §11.1).
 */
export function xmlSafe(text: string): string {
  return HAS_NON_XML_CHAR.test(text) ? text.replace(NOT_XML_CHAR, '\uFFFD') : text;
}

/** Whether `text` reaches XML unchanged by the sanitiser (an address with U+0001 in it does not). */
export function isXmlSafe(text: string): boolean {
  return !HAS_NON_XML_CHAR.test(text);
}
