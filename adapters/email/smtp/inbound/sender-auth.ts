/**
 * Sender authentication of received mail with mailauth: SPF (RFC 7208) for
 * the client address and MAIL FROM, DKIM (RFC 6376) signatures, and DMARC
 * (RFC 7489) alignment of the From domain. The verdict refuses only a DMARC
 * failure under the domain's `p=reject` (RFC 7489 §6.3); every other result
 * is logged and counted. DNS trouble never refuses mail: a lookup that fails
 * or times out is a temperror, and the whole check is bounded in time.
 *
 * mailauth: https://github.com/postalsys/mailauth (authenticate(), opts.resolver)
 */
import { promises as dns } from 'node:dns';
import type { Readable } from 'node:stream';
import type { DNSResolver } from 'mailauth';
import type { Logger } from 'pino';
import { lazyPackage } from '../../../../src/lazy-package.js';

const mailauth = lazyPackage<typeof import('mailauth')>('mailauth');

export type { DNSResolver };

export interface SenderFacts {
  /** Client IP address. */
  ip: string;
  /** EHLO name. */
  helo: string;
  /** MAIL FROM ('' for the null sender). */
  sender: string;
  /** The listener's own name, for the Authentication-Results it computes. */
  mta: string;
}

export interface SenderVerdict {
  /** A reason to answer 550, when DMARC fails under p=reject. */
  refuse?: string;
  /** Domain of the From header, where known (the counter's label). */
  domain: string;
  /** check -> result, e.g. { spf: 'pass', dkim: 'none', dmarc: 'fail' }. */
  results: Record<'spf' | 'dkim' | 'dmarc', string>;
}

/** DNS lookups with a short timeout and few tries: a sender's slow DNS must not hold the SMTP session. */
export function systemResolver(timeoutMs = 3000): DNSResolver {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 2 });
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<string[][] | string[]>;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Checks a mail as it streams in (reads `message` to its end). Never
 * rejects: a check that fails or runs over `timeoutMs` gives temperror.
 */
export async function checkSender(message: Readable, facts: SenderFacts, resolver: DNSResolver, logger: Logger, timeoutMs = 15_000): Promise<SenderVerdict> {
  const unknown: SenderVerdict = { domain: 'unknown', results: { spf: 'temperror', dkim: 'temperror', dmarc: 'temperror' } };
  const run = mailauth().authenticate(message, {
    ip: facts.ip,
    helo: facts.helo,
    ...(facts.sender === '' ? {} : { sender: facts.sender }),
    mta: facts.mta,
    resolver,
    disableArc: true,
    disableBimi: true,
  });
  let result: Awaited<typeof run> | 'timeout';
  try {
    result = await withTimeout(run, timeoutMs);
  } catch (err) {
    logger.warn({ err }, 'sender authentication failed to run; mail accepted unchecked');
    message.resume();
    return unknown;
  }
  if (result === 'timeout') {
    run.catch(() => undefined);
    message.resume();
    logger.warn({ timeoutMs }, 'sender authentication timed out; mail accepted unchecked');
    return unknown;
  }
  const spf = result.spf === false ? 'none' : result.spf.status.result;
  const dkimResults = result.dkim.results ?? [];
  const dkim = dkimResults.length === 0 ? 'none' : dkimResults.some((r) => r.status.result === 'pass') ? 'pass' : (dkimResults[0]?.status.result ?? 'none');
  const dmarc = result.dmarc === false ? 'none' : result.dmarc.status.result;
  const fromHeader = result.dkim.headerFrom?.[0] ?? '';
  const domain = result.dmarc === false ? fromHeader.split('@').pop() || 'unknown' : result.dmarc.domain;
  const verdict: SenderVerdict = { domain: domain.toLowerCase(), results: { spf, dkim, dmarc } };
  // `policy` is the one that applies: sp= for a subdomain when set, else p= (mailauth picks it).
  if (result.dmarc !== false && dmarc === 'fail' && result.dmarc.policy === 'reject') {
    verdict.refuse = `DMARC policy of ${verdict.domain} rejects this mail: neither SPF (${spf}) nor DKIM (${dkim}) passes aligned with the From domain`;
  }
  return verdict;
}
