/**
 * Bounces: which received mails are non-delivery reports, which mail of ours
 * they are about, and what the remote server said.
 *
 * Shapes read:
 * - RFC 3464 delivery status notifications: `multipart/report;
 *   report-type=delivery-status` with a `message/delivery-status` part
 *   (`Action: failed`, `Status: 5.1.1`, `Diagnostic-Code: smtp; 550 ...`)
 *   and the original as `message/rfc822` or `text/rfc822-headers` (RFC 6522).
 * - Text bounces from MAILER-DAEMON / postmaster / an empty envelope sender,
 *   with the original headers quoted in the text or attached: Postfix (older,
 *   `said: 550 ...`), Exim (`SMTP error from remote mail server after RCPT
 *   TO:<...>:` then the reply), qmail (`Remote host said: 550 ...`), Gmail
 *   (`The response from the remote server was:` then the reply).
 *
 * The input is what the parser saw: the top-level headers, the decoded text,
 * and the raw bytes of the mail (bounded), which hold the report parts and
 * quoted headers however they were attached.
 */

/** What a bounce tells. */
export interface BounceReport {
  /** Message-ID of the mail that bounced, without brackets, when the bounce quotes it. */
  originalMessageId?: string;
  /** The remote server's words: Diagnostic-Code, else the SMTP reply quoted in the text, else the Status. */
  diagnostic: string;
  /** RFC 3464 `Action`: only `failed` is a bounce; `delayed`, `delivered`, `relayed`, `expanded` are not. */
  action: string;
}

export interface BounceInput {
  /** The top-level Content-Type, lower case, e.g. `multipart/report`. */
  contentType: string;
  /** Its `report-type` parameter, lower case. */
  reportType?: string;
  /** Envelope sender (MAIL FROM); '' for the null sender `<>` bounces use (RFC 5321 §4.5.5). */
  envelopeFrom?: string;
  /** Address in the From header. */
  headerFrom?: string;
  subject?: string;
  /** The top-level Message-ID, to tell it from the original's. */
  messageId?: string;
  /** Decoded text body. */
  text: string;
  /** The raw mail as received, possibly cut at a bound. */
  raw: string;
}

const DAEMON = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|bounces?|noreply-dmarc-support)@/i;
const BOUNCE_SUBJECT =
  /^\s*(undeliver(ed|able)|returned mail|mail delivery (failed|failure|subsystem)|delivery status notification \(failure\)|failure notice|delivery failure|non[- ]?delivery|message not delivered|delivery has failed|mail system error|undelivered mail returned to sender)/i;

/** Whether a mail looks like a non-delivery report, on its headers alone (decided before its parts are stored). */
export function looksLikeBounce(input: Pick<BounceInput, 'contentType' | 'reportType' | 'envelopeFrom' | 'headerFrom' | 'subject'>): boolean {
  if (input.contentType === 'multipart/report' && input.reportType === 'delivery-status') return true;
  const fromDaemon = input.envelopeFrom === '' || DAEMON.test(input.envelopeFrom ?? '') || DAEMON.test(input.headerFrom ?? '');
  return fromDaemon && BOUNCE_SUBJECT.test(input.subject ?? '');
}

/** The value of a `Name: value` field (folded continuation lines joined), first match. */
function field(block: string, name: string): string | undefined {
  const re = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t]+.*)*)`, 'im');
  const m = re.exec(block);
  return m?.[1]?.replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** `smtp; 550 5.1.1 <bob@...>: Recipient address rejected` -> the reply without its type. */
function diagnosticCode(value: string): string {
  return value.replace(/^\s*(smtp|x-postfix|x-unix|x-local)\s*;\s*/i, '').trim();
}

/** Every `Message-ID:` field in `text` (headers quoted in a bounce, attached ones, the report's own). */
function messageIds(text: string): string[] {
  const ids: string[] = [];
  const re = /^(?:>\s*)?message-id:\s*(?:\r?\n[ \t]+)?<([^<>\s]+)>/gim;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) ids.push(m[1] as string);
  return ids;
}

/** The header block at the top of the raw mail, and what follows it. */
function splitHead(raw: string): { head: string; rest: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  return m === null ? { head: raw, rest: '' } : { head: raw.slice(0, m.index), rest: raw.slice(m.index + m[0].length) };
}

/** An SMTP reply quoted in a text bounce (Postfix `said:`, qmail `Remote host said:`, Exim and Gmail on the next line). */
function quotedReply(text: string): string | undefined {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const reply = /\b([45]\d\d)([ -])(?:[45]\.\d{1,3}\.\d{1,3}\b)?.{3,}/;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    const said = /\bsaid:\s*(.+)$/i.exec(line);
    if (said && reply.test(said[1] as string)) return joinContinuation(said[1] as string, lines, i + 1);
    if (/(SMTP error from remote (mail )?server|The response (from the remote server )?was|The error that the other server returned was)\b.*:\s*$/i.test(line)) {
      const next = lines.slice(i + 1).find((l) => l.trim() !== '');
      if (next !== undefined && reply.test(next)) return joinContinuation(next.trim(), lines, lines.indexOf(next) + 1);
    }
  }
  const any = lines.map((l) => l.trim()).find((l) => /^[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\s+\S/.test(l));
  return any;
}

/** A reply wrapped over several indented lines (Postfix wraps `said:` replies, Exim indents them). */
function joinContinuation(first: string, lines: readonly string[], from: number): string {
  const parts = [first.trim()];
  for (let i = from; i < lines.length && parts.length < 5; i++) {
    const line = lines[i] as string;
    if (!/^\s+\S/.test(line) || /^\s*(--|-+ |\S+:\s*$)/.test(line)) break;
    if (/\b[45]\d\d[- ]/.test(line) || /^\s{2,}/.test(line)) parts.push(line.trim());
    else break;
  }
  return parts.join(' ').replace(/\s+/g, ' ').slice(0, 500);
}

/**
 * Reads a bounce. Undefined when the mail reports no failure (a delay
 * warning, a delivery confirmation), so it is dropped, not shown as an error.
 */
export function readBounce(input: BounceInput): BounceReport | undefined {
  const { rest } = splitHead(input.raw);
  const body = `${input.text}\n${rest}`;
  const action = (field(rest, 'Action') ?? 'failed').toLowerCase();
  if (input.contentType === 'multipart/report' && action !== 'failed') return undefined;
  const own = input.messageId === undefined ? undefined : input.messageId.replace(/^<|>$/g, '');
  const original = messageIds(body).find((id) => id !== own);
  const code = field(rest, 'Diagnostic-Code');
  const status = field(rest, 'Status');
  const diagnostic =
    (code === undefined ? undefined : diagnosticCode(code)) ??
    quotedReply(input.text) ??
    quotedReply(rest) ??
    (status === undefined ? undefined : `status ${status}`) ??
    firstParagraph(input.text);
  return { ...(original === undefined ? {} : { originalMessageId: original }), diagnostic: diagnostic.slice(0, 500), action };
}

/** The first few lines of a text bounce, when no reply code could be found. */
function firstParagraph(text: string): string {
  const para = text.trim().split(/\n\s*\n/)[0] ?? '';
  const oneLine = para.replace(/\s+/g, ' ').trim();
  return oneLine === '' ? 'the remote mail server refused the message' : oneLine.slice(0, 300);
}
