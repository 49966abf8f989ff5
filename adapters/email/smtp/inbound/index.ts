/**
 * The inbound side of the smtp email provider: the SMTP listener (when
 * `inbound` is configured), the Mailgun route (when `mailgun` is), and the
 * attachment downloads under /files/<domain>/ (always: texts cut for length
 * are served there too). All feed one delivery path (deliver.ts).
 */
import type { AdapterContext, AdapterHealth } from '../../../types.js';
import type { SmtpEmailConfig } from '../index.js';
import type { MailThreads } from '../threads.js';
import { MailDelivery } from './deliver.js';
import { AttachmentStore } from './files.js';
import { SmtpListener } from './listener.js';
import { mailgunRoutes } from './mailgun.js';
import { systemResolver, type DNSResolver } from './sender-auth.js';

export interface InboundSide {
  health(): Promise<AdapterHealth>;
  stop(): Promise<void>;
  /** The SMTP listener's bound port, when it listens (tests bind port 0). */
  smtpPort?(): number | undefined;
}

export interface InboundOptions {
  /** DNS for sender authentication; default the system's, with short timeouts. */
  resolver?: DNSResolver;
  /** Longest the sender checks of one mail may take (default 15 s). */
  authTimeoutMs?: number;
}

/** Mailgun posts a mail and its attachments; leave room for the form's own overhead. */
const MAILGUN_OVERHEAD_BYTES = 1024 * 1024;

export async function startInbound(config: SmtpEmailConfig, ctx: AdapterContext, threads: MailThreads, opts: InboundOptions = {}): Promise<InboundSide> {
  const logger = ctx.logger.child({ domain: config.domain, side: 'inbound' });
  const store = new AttachmentStore({
    dir: config.attachments.dir,
    baseUrl: `${ctx.publicUrl.replace(/\/+$/, '')}/files/${config.domain}`,
    expiryDays: config.attachments.expiryDays,
    logger,
  });
  ctx.http.files?.(store.routes());
  store.startSweeping();
  const limits = { maxFileBytes: config.attachments.maxFileBytes, maxMailBytes: config.attachments.maxMailBytes };
  const delivery = new MailDelivery({
    emitInbound: ctx.emitInbound,
    threads,
    store,
    logger,
    trimQuoted: config.mail.trimQuoted,
    maxBodyLength: config.mail.maxBodyLength,
  });

  if (config.mailgun !== undefined) {
    ctx.http.webhooks(
      mailgunRoutes({
        signingKey: config.mailgun.signingKey,
        redis: ctx.redis,
        keyPrefix: ctx.keyPrefix,
        isGatewayAddress: (a) => ctx.isGatewayAddress(a),
        delivery,
        store,
        attachments: limits,
        bodyLimit: (config.inbound?.maxMessageBytes ?? 25 * 1024 * 1024) + MAILGUN_OVERHEAD_BYTES,
        logger,
      }),
    );
  }

  let listener: SmtpListener | undefined;
  if (config.inbound !== undefined) {
    listener = new SmtpListener({
      config: config.inbound,
      domain: config.domain,
      isGatewayAddress: (a) => ctx.isGatewayAddress(a),
      delivery,
      store,
      attachments: limits,
      logger,
      resolver: opts.resolver ?? systemResolver(),
      ...(opts.authTimeoutMs === undefined ? {} : { authTimeoutMs: opts.authTimeoutMs }),
      ...(ctx.metrics === undefined ? {} : { metrics: ctx.metrics }),
    });
    await listener.listen();
  }

  return {
    async health() {
      if (listener?.bindError !== undefined) {
        const { host, port } = config.inbound ?? { host: '?', port: 0 };
        return { ok: false, detail: `SMTP listener cannot bind ${host}:${port}: ${listener.bindError.message}` };
      }
      return { ok: true };
    },
    async stop() {
      store.stopSweeping();
      await listener?.close();
    },
    smtpPort: () => listener?.port(),
  };
}
