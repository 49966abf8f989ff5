/**
 * `smtp` config -> nodemailer's pooled SMTP transport options.
 *
 * | smtp.url                              | connection                                    |
 * |---------------------------------------|-----------------------------------------------|
 * | `smtp://relay.example.org:587`        | plain, upgraded with STARTTLS when offered    |
 * | same, `requireTls: true`              | refuses to send unless STARTTLS succeeds      |
 * | `smtps://relay.example.org:465`       | TLS from the first byte (RFC 8314 §3.3)       |
 * | `smtp://user:p%40ss@relay:587`        | AUTH with user / p@ss (percent-decoded)       |
 *
 * Without a port: 587 for smtp://, 465 for smtps:// (nodemailer's defaults).
 */
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import type { SmtpEmailConfig } from './index.js';

type RelayConfig = SmtpEmailConfig['smtp'];

/** The relay as logs and errors name it: scheme, host and port, never the credentials. */
export function relayName(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

/** Decodes a URL's user or password; a malformed %-escape is taken literally. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * @param heloName the name the gateway greets the relay with (EHLO): its mail domain
 */
export function relayOptions(smtp: RelayConfig, heloName: string): SMTPPoolOptions & { pool: true } {
  const url = new URL(smtp.url);
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    pool: true,
    maxConnections: smtp.maxConnections,
    host,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    secure,
    // STARTTLS is used whenever the relay offers it; requireTls refuses a relay that does not.
    requireTLS: !secure && smtp.requireTls,
    tls: { rejectUnauthorized: smtp.rejectUnauthorized },
    ...(url.username === '' && url.password === '' ? {} : { auth: { user: decoded(url.username), pass: decoded(url.password) } }),
    name: heloName,
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
    dnsTimeout: smtp.timeoutMs,
    ...(smtp.dkim === undefined ? {} : { dkim: { domainName: smtp.dkim.domainName, keySelector: smtp.dkim.keySelector, privateKey: smtp.dkim.privateKey } }),
  };
}
