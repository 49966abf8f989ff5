/**
 * The inbound baseline, run as its own process like the gateway: a
 * hello-world Fastify route that takes the same form post a Twilio webhook
 * is (so @fastify/formbody parses it, as Fastify answers 415 to a form it
 * cannot parse) and answers an empty TwiML document. No logging, no
 * signature check, no Redis. Prints `{"port":N}` once listening.
 */
import formbody from '@fastify/formbody';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
await app.register(formbody);
app.post('/webhooks/hello/messages', async (_req, reply) =>
  reply.code(200).type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>'),
);
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
const close = (): void => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
