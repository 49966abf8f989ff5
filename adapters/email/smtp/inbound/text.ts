/**
 * Mail text -> chat text: HTML-only mail made readable (links kept), the
 * quoted history and signature under a reply cut off, and the subject put
 * where chat clients show it.
 *
 * Quote and signature shapes recognised (each starts the part that is cut):
 * - `On Tue, 1 Dec 2026 at 10:00, Bob <bob@example.net> wrote:` (Gmail, Apple
 *   Mail, Thunderbird; also split over two lines, and the German/French forms)
 * - a block of `>` lines running to the end (after blank lines and the rest)
 * - `-- ` alone on a line, the usenet signature separator (RFC 3676 §4.3)
 * - `-----Original Message-----` (Outlook) and Outlook's header block
 *   `From: ...` followed by `Sent:`/`Date:` within the next lines
 * - `________________________________` followed by `From:` (Outlook web)
 */
import { lazyPackage } from '../../../../src/lazy-package.js';

const htmlToText = lazyPackage<typeof import('html-to-text')>('html-to-text');

/** `Re:`, `Fwd:`, `AW:`, `WG:`, `SV:`, `Antw:` and `[list]` tags, repeated. */
const REPLY_PREFIX = /^\s*((re|fwd?|aw|wg|sv|vs|antw|tr|rif|r)\s*(\[\d+\])?\s*:\s*|\[[^\]]{1,40}\]\s*)+/i;

/** A subject without reply/forward prefixes, spaces folded, for comparing two subjects. */
export function normalSubject(subject: string | undefined): string {
  return (subject ?? '').replace(REPLY_PREFIX, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** HTML-only mail as readable text: links as `text [url]`, images dropped, no line wrapping (chat clients wrap). */
export function htmlAsText(html: string): string {
  return htmlToText().convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable' },
    ],
  }).trim();
}

const ATTRIBUTION = /^\s*(on\b.{0,200}\bwrote|am\b.{0,200}\bschrieb\b.{0,120}|le\b.{0,200}\ba écrit|el\b.{0,200}\bescribió)\s*:\s*$/i;
const ATTRIBUTION_START = /^\s*(on|am|le|el)\s.{0,200}$/i;
const ATTRIBUTION_END = /\b(wrote|schrieb|a écrit|escribió)\s*:\s*$/i;
const ORIGINAL_MESSAGE = /^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|forwarded message)\s*-{2,}\s*$/i;
const OUTLOOK_FROM = /^\s*\*?(from|von|de)\s*:\*?\s+\S/i;
const OUTLOOK_SENT = /^\s*\*?(sent|date|gesendet|envoyé)\s*:\*?\s+\S/i;
const UNDERSCORES = /^\s*_{10,}\s*$/;

/** Index of the first line of the quoted history or signature, or undefined when there is none. */
function cutIndex(lines: readonly string[]): number | undefined {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '-- ' || line === '--') return i;
    if (ATTRIBUTION.test(line)) return i;
    if (ATTRIBUTION_START.test(line) && ATTRIBUTION_END.test(lines[i + 1] ?? '') && !ATTRIBUTION_END.test(line)) return i;
    if (ORIGINAL_MESSAGE.test(line)) return i;
    if (UNDERSCORES.test(line) && OUTLOOK_FROM.test(lines[i + 1] ?? '')) return i;
    if (OUTLOOK_FROM.test(line) && lines.slice(i + 1, i + 4).some((l) => OUTLOOK_SENT.test(l))) return i;
    if (line.startsWith('>')) {
      // A quote block counts when nothing but more quotes and blank lines follows (interleaved replies are kept whole).
      const rest = lines.slice(i);
      if (rest.every((l) => l.startsWith('>') || l.trim() === '')) return i;
    }
  }
  return undefined;
}

/**
 * The reply without what it quotes and its signature. A text that would be
 * left empty (a mail that is all quote, or a forward) is kept whole.
 */
export function trimQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const cut = cutIndex(lines);
  if (cut === undefined) return text.trim();
  const kept = lines.slice(0, cut).join('\n').trim();
  return kept === '' ? text.trim() : kept;
}

/**
 * Most clients (Conversations, Dino; Gajim only in some views) do not show
 * `<subject>` on a chat message, so a subject the user has not seen yet in
 * this conversation is also the first line of the body, in bold markup
 * (XEP-0393 `*...*`, which those clients render).
 */
export function withSubjectLine(body: string, subject: string): string {
  const line = `*${subject.replace(/[*\r\n]+/g, ' ').trim()}*`;
  return body === '' ? line : `${line}\n\n${body}`;
}

/** Cuts `text` at `max` characters (by code point, at a line or word break when one is near) and says so. */
export function cutText(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  let head = chars.slice(0, max).join('');
  const breakAt = Math.max(head.lastIndexOf('\n'), head.lastIndexOf(' '));
  if (breakAt > max * 0.8) head = head.slice(0, breakAt);
  return `${head.trimEnd()} …`;
}
