/**
 * The smtp email adapter passes the adapter contract. Out: the relay is the
 * SMTP sink double (a real smtp-server); failures are the sink answering
 * 550 / 451 / 450 "too much mail" at RCPT TO, as Postfix-style relays do;
 * what was sent is what the sink parsed (the text part up to the links the
 * relay appends for attachments it did not fetch). In: a mail handed to the
 * adapter's own SMTP listener by an independent SMTP client (nodemailer's
 * SMTP connection, not the adapter's relay code). Mail confirms delivery in
 * the relay's answer (250), so there are no later delivery statuses here
 * (bounces are mail, and arrive through the listener).
 */
import nodemailer from 'nodemailer';
import { afterAll } from 'vitest';
import { smtpEmailAdapter } from '../../adapters/email/smtp/index.js';
import { SmtpSink } from '../doubles/smtp-sink.js';
import { providerConfig } from '../support/fixtures.js';
import { freePort } from '../support/ports.js';
import { adapterContract } from './adapter-contract.js';

const domain = 'mail.contract.test';
const gatewayAddress = `alice@${domain}`;
const sink = await SmtpSink.start();
const listenerPort = await freePort();
afterAll(() => sink.close());

adapterContract('smtp (email)', {
  config: providerConfig('smtp', {
    domain,
    network: 'email',
    addresses: { [gatewayAddress]: 'alice@localhost' },
    smtp: { url: sink.url, timeoutMs: 5000 },
    inbound: { host: '127.0.0.1', port: listenerPort, verifySenders: false },
  }),
  create: smtpEmailAdapter,
  foreignAddress: 'bob@example.net',
  localAddress: gatewayAddress,
  senderAddress: gatewayAddress,
  failNext: async (_app, kind) => {
    if (kind === 'permanent') sink.failNext({ at: 'RCPT', code: 550, text: '5.1.1 <bob@example.net>: Recipient address rejected: User unknown' });
    else if (kind === 'transient') sink.failNext({ at: 'RCPT', code: 451, text: '4.3.0 Temporary lookup failure' });
    else sink.failNext({ at: 'RCPT', code: 450, text: '4.7.1 Error: too much mail from 127.0.0.1' });
  },
  heal: async () => sink.heal(),
  sent: async () =>
    sink.mails.map((m) => ({
      id: (m.parsed.messageId ?? '').replace(/^<|>$/g, ''),
      to: m.envelope.rcptTo[0] ?? '',
      body: (m.parsed.text ?? '').split(/\n\n/)[0]?.trim() ?? '',
    })),
  injectMessage: async (_app, msg) => {
    const client = nodemailer.createTransport({ host: '127.0.0.1', port: listenerPort, secure: false, ignoreTLS: true });
    try {
      // No subject: the listener shows a subject above the text, and the contract compares the text alone.
      await client.sendMail({ from: msg.from, to: msg.to, text: msg.body, messageId: `<${msg.id}@example.net>` });
    } finally {
      client.close();
    }
  },
});
