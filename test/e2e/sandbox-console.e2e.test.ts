/**
 * The sandbox console in a real browser: a real XMPP client (alice, on the
 * stack's Prosody) texts a sandbox phone through the built gateway; the
 * console page in headless Chromium shows the text, replies as the phone
 * (alice receives the reply), and marks her messages delivered (she gets
 * her receipt) and failed (she gets an error); it writes first to bob, and
 * plays a mailbox and a webhook service the same way. A screenshot of the
 * page is left in test-artifacts/sandbox-console.png.
 */
import { mkdir } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { ADMIN_TOKEN } from '../support/gateway.js';
import { E2EStack, chat, component, errorFor, receiptFor, receiptRequest } from '../support/stack.js';
import type { TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const MAIL = 'mail.localhost';
const HOOKS = 'hooks.localhost';
const PHONE = '+15551234567';
const ALICE_NUMBER = '+15550001111';
const BOB_NUMBER = '+15550002222';
const SCREENSHOT = 'test-artifacts/sandbox-console.png';

describe('sandbox console (headless Chromium)', () => {
  let stack: E2EStack;
  let alice: TestClient;
  let bob: TestClient;
  let browser: BrowserContext;
  let page: Page;

  /** The console's card for the conversation between the phone and alice. */
  const card = (contact = PHONE, local = 'alice@localhost') => page.locator(`article.conversation[data-contact="${contact}"][data-local="${local}"]`);
  /** A message bubble in that card. */
  const bubble = (text: string) => card().locator('li.message', { hasText: text });

  beforeAll(async () => {
    stack = await E2EStack.start({
      label: 'console',
      users: ['alice', 'bob'],
      components: [
        component(SMS, 'sms', 'sandbox', [`numbers: { "${ALICE_NUMBER}": alice@localhost, "${BOB_NUMBER}": bob@localhost }`]),
        component(MAIL, 'email', 'sandbox', ['addresses: { alice@mail.localhost: alice@localhost }']),
        component(HOOKS, 'webhook', 'sandbox'),
      ],
    });
    alice = await stack.login('alice');
    bob = await stack.login('bob');
    browser = await launchBrowser();
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows what alice texted the phone, with the token taken out of the address bar', async () => {
    await alice.send(chat(`${PHONE}@${SMS}`, 'c-1', 'are you coming tonight?', [receiptRequest()]));
    await page.goto(`${stack.gateway.httpUrl}/sandbox/console#token=${ADMIN_TOKEN}`);
    await bubble('are you coming tonight?').waitFor();
    expect(await card().locator('h3 .local').textContent()).toBe(`alice@localhost (${ALICE_NUMBER})`);
    expect(await bubble('are you coming tonight?').locator('.status').textContent()).toBe('sent');
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.locator('section.component[data-domain="sms.localhost"] .accounts').textContent()).toContain(`${ALICE_NUMBER} → alice@localhost`);
  });

  it('replies as the phone while texts keep arriving: alice receives it from the phone contact', async () => {
    // A person types; meanwhile another text arrives and the page redraws its conversations.
    const box = card().locator('.reply-form textarea');
    await box.click();
    await page.keyboard.type('yes, at');
    await alice.send(chat(`+15559876543@${SMS}`, 'c-x', 'is this the bakery?'));
    await card('+15559876543').locator('li.message', { hasText: 'bakery' }).waitFor();
    await page.keyboard.type(' eight');
    expect(await box.inputValue()).toBe('yes, at eight');
    await card().getByRole('button', { name: 'Reply' }).click();
    const reply = await alice.waitFor((el) => el.is('message') && el.getChildText('body') === 'yes, at eight', 15_000);
    expect(reply.attrs.from).toBe(`${PHONE}@${SMS}`);
    expect(reply.attrs.type).toBe('chat');
    // The reply shows on the phone's side of the conversation, and the box is empty again.
    await card().locator('li.sent-by-contact', { hasText: 'yes, at eight' }).waitFor();
    await expect.poll(() => card().locator('.reply-form textarea').inputValue()).toBe('');
  });

  it('marks a message delivered: alice gets her receipt, the console shows it', async () => {
    await bubble('are you coming tonight?').getByRole('button', { name: 'Mark delivered' }).click();
    const receipt = await receiptFor(alice, 'c-1', 15_000);
    expect(receipt.attrs.from).toBe(`${PHONE}@${SMS}`);
    await bubble('are you coming tonight?').locator('.status-delivered').waitFor();
    expect(await bubble('are you coming tonight?').getByRole('button').count()).toBe(0);
  });

  it('marks a message failed: alice gets an error stanza for it', async () => {
    await alice.send(chat(`${PHONE}@${SMS}`, 'c-2', 'did you get my last text?'));
    await bubble('did you get my last text?').getByRole('button', { name: 'Mark failed' }).click();
    const error = await errorFor(alice, 'c-2');
    expect(error.attrs.from).toBe(`${PHONE}@${SMS}`);
    expect(error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toContain('marked failed in the sandbox console');
    await bubble('did you get my last text?').locator('.status-failed').waitFor();
  });

  it('writes first as a contact: bob gets a text from a phone nobody wrote to', async () => {
    const section = page.locator(`section.component[data-domain="${SMS}"]`);
    await section.locator('summary', { hasText: 'Write first' }).click();
    const form = section.locator('form.compose-form');
    await form.getByLabel('From').fill('+15557654321');
    await form.getByLabel('To').fill(BOB_NUMBER);
    await form.getByLabel('Message').fill('bob, your parcel is here');
    await form.getByRole('button', { name: 'Send as the contact' }).click();
    const text = await bob.waitFor((el) => el.is('message') && el.getChildText('body') === 'bob, your parcel is here', 15_000);
    expect(text.attrs.from).toBe(`+15557654321@${SMS}`);
    // The conversation is bob's, under his number.
    await card('+15557654321', 'bob@localhost').locator('li.sent-by-contact', { hasText: 'your parcel' }).waitFor();
    await expect.poll(() => form.getByLabel('Message').inputValue()).toBe('');
  });

  it('plays a mailbox and a service too: each network its own section, replies reach alice', async () => {
    await alice.send(chat(`bob\\40example.net@${MAIL}`, 'm-1', 'lunch on friday?'));
    await alice.send(chat(`deploy@${HOOKS}`, 'h-1', 'ship api 1.4.2'));
    for (const [contact, local, text, reply, from] of [
      ['bob@example.net', 'alice@localhost', 'lunch on friday?', 'friday works', `bob\\40example.net@${MAIL}`],
      ['deploy', 'alice@localhost', 'ship api 1.4.2', 'deployed 1.4.2', `deploy@${HOOKS}`],
    ] as const) {
      await card(contact, local).locator('li.message', { hasText: text }).waitFor();
      await card(contact, local).locator('.reply-form textarea').fill(reply);
      await card(contact, local).getByRole('button', { name: 'Reply' }).click();
      const got = await alice.waitFor((el) => el.is('message') && el.getChildText('body') === reply, 15_000);
      expect(got.attrs.from).toBe(from);
    }
    expect(await page.locator('section.component .component-domain').allTextContents()).toEqual([SMS, MAIL, HOOKS]);
    await mkdir('test-artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
