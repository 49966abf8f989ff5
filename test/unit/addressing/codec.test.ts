import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors/registry.js';
import { contactJid, type AddressCodecOptions, type Network } from '../../../src/addressing/index.js';
import { addressCodec } from '../../../src/networks/index.js';

const raw = String.raw;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof GatewayError ? error.code : `not a GatewayError: ${String(error)}`;
  }
  return undefined;
}

describe('addressCodec', () => {
  it.each([
    ['sms', 'Phone number'],
    ['email', 'Email address'],
    ['webhook', 'Endpoint name'],
  ] as Array<[Network, string]>)('%s codec has network and XEP-0100 prompt %j', (network, prompt) => {
    const codec = addressCodec(network);
    expect(codec.network).toBe(network);
    expect(codec.prompt).toBe(prompt);
  });

  it.each([
    [{}, "Enter the contact's phone number in international format, such as +15551234567."],
    [{ defaultRegion: 'us' }, "Enter the contact's phone number in international format, such as +15551234567, or as a US national number."],
    [
      { defaultRegion: 'GB', allowShortCodes: true },
      "Enter the contact's phone number in international format, such as +15551234567, or as a GB national number, or as a short code.",
    ],
    [{ allowShortCodes: true }, "Enter the contact's phone number in international format, such as +15551234567, or as a short code."],
  ] as Array<[AddressCodecOptions, string]>)('sms description for %j', (opts, description) => {
    expect(addressCodec('sms', opts).description).toBe(description);
  });

  it('email and webhook descriptions name an example', () => {
    expect(addressCodec('email').description).toBe("Enter the contact's email address, such as bob@example.net.");
    expect(addressCodec('webhook').description).toBe('Enter the name of the webhook endpoint, such as ci.');
  });

  it.each(['XX', 'USA', ''])('refuses default region %j as a config error', (defaultRegion) => {
    expect(codeOf(() => addressCodec('sms', { defaultRegion }))).toBe('CONFIG_INVALID');
  });
});

describe('sms codec', () => {
  const codecs = {
    bare: addressCodec('sms'),
    us: addressCodec('sms', { defaultRegion: 'US' }),
    usShort: addressCodec('sms', { defaultRegion: 'US', allowShortCodes: true }),
    strict: addressCodec('sms', { defaultRegion: 'US', strict: true }),
  };
  type Variant = keyof typeof codecs;
  const { bare } = codecs;

  it.each([
    ['bare', '+15551234567', '+15551234567'],
    ['bare', '+1 (555) 123-4567', '+15551234567'],
    ['bare', 'tel:+1-415-555-2671', '+14155552671'],
    ['bare', 'TEL:+14155552671', '+14155552671'],
    ['bare', 'sms:+14155552671', '+14155552671'],
    ['bare', '0044 20 7946 0958', '+442079460958'],
    ['us', '(415) 555-2671', '+14155552671'],
    ['us', '555 123 4567', '+15551234567'],
    ['us', '011 44 20 7946 0958', '+442079460958'],
    ['usShort', '12345', '12345'],
    ['strict', '(415) 555-2671', '+14155552671'],
  ] as Array<[Variant, string, string]>)('fromUserInput (%s) %j -> %s', (variant, input, expected) => {
    expect(codecs[variant].fromUserInput(input)).toEqual({ ok: true, address: expected, localpart: expected });
  });

  it.each([
    ['bare', '4155552671', 'phone numbers must start with + and a country code unless a default region is configured'],
    ['bare', '', 'a phone number cannot be empty'],
    ['us', '12345', 'not a valid phone number for US (too short)'],
    ['us', 'bob@example.net', 'phone numbers contain only digits, spaces and + - . ( ) (no letters or extensions)'],
    ['strict', '+15551234567', 'not a valid phone number for country code +1 (not in an assigned number range)'],
  ] as Array<[Variant, string, string]>)('fromUserInput (%s) refuses %j: %s', (variant, input, reason) => {
    expect(codecs[variant].fromUserInput(input)).toEqual({ ok: false, reason });
  });

  it.each([
    ['bare', '+15551234567'],
    ['bare', '+442079460958'],
    ['bare', '+80012345678'],
    ['us', '+15551234567'],
    ['usShort', '12345'],
    ['usShort', '123'],
    ['usShort', '12345678'],
    ['strict', '+15551234567'], // strict is for typed input only: a canonical JID stays reachable
  ] as Array<[Variant, string]>)('fromLocalpart (%s) accepts canonical %s', (variant, localpart) => {
    expect(codecs[variant].fromLocalpart(localpart)).toEqual({ ok: true, address: localpart, localpart });
  });

  const NOT_E164 = 'a phone number contact must be in E.164 form: + and the country code, e.g. +15551234567';
  it.each([
    ['us', '5551234567', '"5551234567" is not the canonical form of this number; address it as +15551234567'],
    ['us', '15551234567', '"15551234567" is not the canonical form of this number; address it as +15551234567'],
    ['us', '+1-555-123-4567', '"+1-555-123-4567" is not the canonical form of this number; address it as +15551234567'],
    ['us', '+1(555)1234567', '"+1(555)1234567" is not the canonical form of this number; address it as +15551234567'],
    ['bare', raw`+1\20555\20123\204567`, raw`"+1\20555\20123\204567" is not the canonical form of this number; address it as +15551234567`],
    ['bare', '+1.555.123.4567', '"+1.555.123.4567" is not the canonical form of this number; address it as +15551234567'],
    ['bare', '5551234567', NOT_E164],
    ['bare', '12345', 'short codes are not enabled on this gateway'],
    ['us', '12345', 'short codes are not enabled on this gateway'],
    ['usShort', '123456789', NOT_E164],
    ['bare', '', NOT_E164],
    ['bare', 'bob', NOT_E164],
    ['bare', '+', NOT_E164],
    ['bare', '+015551234567', NOT_E164],
    ['bare', '+1555123', 'not a valid phone number for country code +1 (too short)'],
    ['bare', '+999123456789', 'unknown country calling code'],
    ['bare', '+1234567890123456', NOT_E164],
  ] as Array<[Variant, string, string]>)('fromLocalpart (%s) refuses %j: %s', (variant, localpart, reason) => {
    expect(codecs[variant].fromLocalpart(localpart)).toEqual({ ok: false, reason });
  });

  it.each([
    ['bare', '+15551234567', '+15551234567'],
    ['bare', '12345', '12345'], // a message from a short code arrives even when sending to one is off
    ['us', '5551234567', '+15551234567'], // e.g. a national number from an SMPP deliver_sm
    ['strict', '+15551234567', '+15551234567'], // a sender that exists is never "invalid"
  ] as Array<[Variant, string, string]>)('toLocalpart (%s) %j -> %s', (variant, address, localpart) => {
    expect(codecs[variant].toLocalpart(address)).toEqual({ ok: true, address: localpart, localpart });
  });

  it.each([
    ['bare', 'Twilio', 'phone numbers contain only digits, spaces and + - . ( ) (no letters or extensions)'],
    ['bare', '12', 'phone numbers must start with + and a country code unless a default region is configured'],
    ['bare', '', 'a phone number cannot be empty'],
  ] as Array<[Variant, string, string]>)('toLocalpart (%s) refuses %j: %s', (variant, address, reason) => {
    expect(codecs[variant].toLocalpart(address)).toEqual({ ok: false, reason });
  });

  it('a short code that arrived can be answered only when short codes are enabled', () => {
    const inbound = bare.toLocalpart('12345');
    expect(inbound.ok).toBe(true);
    if (!inbound.ok) return;
    expect(bare.fromLocalpart(inbound.localpart)).toEqual({ ok: false, reason: 'short codes are not enabled on this gateway' });
    expect(addressCodec('sms', { allowShortCodes: true }).fromLocalpart(inbound.localpart)).toMatchObject({ ok: true });
  });
});

describe('email codec', () => {
  const email = addressCodec('email');

  it.each([
    ['bob@example.net', 'bob@example.net', raw`bob\40example.net`],
    ['  Bob@Example.NET ', 'Bob@example.net', raw`bob\40example.net`],
    ["d'artagnan@musketeers.lit", "d'artagnan@musketeers.lit", raw`d\27artagnan\40musketeers.lit`],
    ['Bob Smith <bob@example.net>', 'bob@example.net', raw`bob\40example.net`],
    ['<bob@example.net>', 'bob@example.net', raw`bob\40example.net`],
    ['"Smith, Bob" <bob@example.net>', 'bob@example.net', raw`bob\40example.net`],
    ['mailto:bob@example.net', 'bob@example.net', raw`bob\40example.net`],
    ['MAILTO:bob@example.net?subject=hi%20there', 'bob@example.net', raw`bob\40example.net`],
    [
      'mailto:here%27s_a_wild_%26_%2Fcr%25zy%2F_address@example.com?subject=that%20is%20crazy%21',
      "here's_a_wild_&_/cr%zy/_address@example.com",
      raw`here\27s_a_wild_\26_\2fcr%zy\2f_address\40example.com`,
    ],
    ['mailto:50%off@example.com', '50%off@example.com', raw`50%off\40example.com`], // malformed %-escape kept literally
    ['alice@mail.localhost', 'alice@mail.localhost', raw`alice\40mail.localhost`],
  ])('fromUserInput %j -> %j, localpart %s', (input, address, localpart) => {
    expect(email.fromUserInput(input)).toEqual({ ok: true, address, localpart });
  });

  it.each([
    ['bob', 'an email address needs an @ between the local part and the domain'],
    ['bob@example', 'the domain "example" needs at least one dot (or must be localhost)'],
    ['Bob <bob@example>', 'the domain "example" needs at least one dot (or must be localhost)'],
    ['mailto:', 'an email address cannot be empty'],
    ['+15551234567', 'an email address needs an @ between the local part and the domain'],
  ])('fromUserInput refuses %j: %s', (input, reason) => {
    expect(email.fromUserInput(input)).toEqual({ ok: false, reason });
  });

  it.each([
    [raw`bob\40example.net`, 'bob@example.net', raw`bob\40example.net`],
    [raw`d\27artagnan\40musketeers.lit`, "d'artagnan@musketeers.lit", raw`d\27artagnan\40musketeers.lit`],
    [raw`here\27s_a_wild_\26_\2fcr%zy\2f_address\40example.com`, "here's_a_wild_&_/cr%zy/_address@example.com", raw`here\27s_a_wild_\26_\2fcr%zy\2f_address\40example.com`],
    // JID localparts are case-insensitive: a server that did not case-fold is the same JID
    [raw`Bob\40Example.NET`, 'Bob@example.net', raw`bob\40example.net`],
    [raw`alice\40localhost`, 'alice@localhost', raw`alice\40localhost`],
  ])('fromLocalpart %s -> %j', (localpart, address, canonical) => {
    expect(email.fromLocalpart(localpart)).toEqual({ ok: true, address, localpart: canonical });
  });

  it.each([
    ['bob@example.net', raw`"bob@example.net" is not the canonical form of this address; address it as bob\40example.net`],
    [raw`d'artagnan\40example.net`, raw`"d'artagnan\40example.net" is not the canonical form of this address; address it as d\27artagnan\40example.net`],
    ['bob', 'an email address needs an @ between the local part and the domain'],
    [raw`bob\5c40example.net`, 'an email address needs an @ between the local part and the domain'],
    [raw`bob\40example`, 'the domain "example" needs at least one dot (or must be localhost)'],
    [raw`bob\40\40example.net`, 'an email address has exactly one @ (quoted local parts such as "a@b"@example.net are not supported)'],
    [raw`bob\20smith\40example.net`, 'an email address cannot contain spaces or control characters'],
    [raw`\40example.net`, 'the part before @ is empty'],
    ['+15551234567', 'an email address needs an @ between the local part and the domain'],
  ])('fromLocalpart refuses %s: %s', (localpart, reason) => {
    expect(email.fromLocalpart(localpart)).toEqual({ ok: false, reason });
  });

  it.each([
    ['bob@example.net', 'bob@example.net', raw`bob\40example.net`],
    ['Alice.B@Mail.Example.org', 'Alice.B@mail.example.org', raw`alice.b\40mail.example.org`],
  ])('toLocalpart %j -> %j, localpart %s', (input, address, localpart) => {
    expect(email.toLocalpart(input)).toEqual({ ok: true, address, localpart });
  });

  it('toLocalpart does not take display names (inbound adapters pass bare addresses)', () => {
    expect(email.toLocalpart('Bob <bob@example.net>')).toEqual({
      ok: false,
      reason: 'an email address cannot contain spaces or control characters',
    });
  });
});

describe('webhook codec', () => {
  const hooks = addressCodec('webhook');

  it.each([
    ['ci', 'ci'],
    [' CI ', 'ci'],
    ['Deploy.Prod', 'deploy.prod'],
  ])('fromUserInput / toLocalpart %j -> %s', (input, name) => {
    expect(hooks.fromUserInput(input)).toEqual({ ok: true, address: name, localpart: name });
    expect(hooks.toLocalpart(input)).toEqual({ ok: true, address: name, localpart: name });
  });

  it.each([
    ['ci', 'ci'],
    ['alerts-2', 'alerts-2'],
    ['CI', 'ci'], // the same JID as ci
  ])('fromLocalpart %j -> %s', (localpart, name) => {
    expect(hooks.fromLocalpart(localpart)).toEqual({ ok: true, address: name, localpart: name });
  });

  it.each([
    [' ci', '" ci" is not the canonical form of this endpoint name; address it as ci'],
    ['-ci', 'an endpoint name must start with a letter or a digit'],
    ['', 'an endpoint name cannot be empty'],
    [raw`a\40b`, 'an endpoint name may only contain a-z, 0-9, ".", "_" and "-" (found "\\\\")'],
  ])('fromLocalpart refuses %j: %s', (localpart, reason) => {
    expect(hooks.fromLocalpart(localpart)).toEqual({ ok: false, reason });
  });
});

describe('codec consistency: fromUserInput -> toLocalpart -> fromLocalpart', () => {
  const cases: Array<[Network, AddressCodecOptions, string]> = [
    ['sms', {}, '+15551234567'],
    ['sms', {}, '+1 (415) 555-2671'],
    ['sms', {}, '0044 20 7946 0958'],
    ['sms', {}, '+800 1234 5678'],
    ['sms', { defaultRegion: 'US' }, '(555) 123-4567'],
    ['sms', { defaultRegion: 'GB' }, '07700 900123'],
    ['sms', { defaultRegion: 'DK', allowShortCodes: true }, '1234'],
    ['sms', { defaultRegion: 'DK', allowShortCodes: true }, '12345678'],
    ['sms', { allowShortCodes: true }, '12345'],
    ['sms', { strict: true }, '+14155552671'],
    ['email', {}, 'bob@example.net'],
    ['email', {}, 'Bob.Smith@Example.NET'],
    ['email', {}, "d'artagnan+tag@musketeers.lit"],
    ['email', {}, "!#$%&'*+-/=?^_`{|}~@example.net"],
    ['email', {}, 'Name <x@localhost>'],
    ['webhook', {}, 'ci'],
    ['webhook', {}, 'Build.Alerts_2'],
  ];

  it.each(cases)('%s %j %j', (network, opts, input) => {
    const codec = addressCodec(network, opts);
    const typed = codec.fromUserInput(input);
    if (!typed.ok) throw new Error(`fromUserInput refused ${input}: ${typed.reason}`);

    // The provider reporting the same address yields the same contact.
    expect(codec.toLocalpart(typed.address)).toEqual(typed);

    // The contact JID's localpart leads back to the address.
    const back = codec.fromLocalpart(typed.localpart);
    if (!back.ok) throw new Error(`fromLocalpart refused ${typed.localpart}: ${back.reason}`);
    expect(back.localpart).toBe(typed.localpart);
    // Only the case of an email local part may be lost (JID localparts are case-folded).
    expect(network === 'email' ? back.address.toLowerCase() : back.address).toBe(
      network === 'email' ? typed.address.toLowerCase() : typed.address,
    );

    // And it is a fixed point from there on.
    expect(codec.fromLocalpart(back.localpart)).toEqual(back);
    expect(codec.toLocalpart(back.address)).toEqual(back);

    // The server delivers localparts case-folded; that must change nothing.
    expect(codec.fromLocalpart(typed.localpart.toLowerCase())).toEqual(back);

    expect(contactJid(typed.localpart, 'gw.example.org')).toBe(`${typed.localpart}@gw.example.org`);
  });
});

describe('contactJid', () => {
  it.each([
    ['+15551234567', 'sms.example.org', '+15551234567@sms.example.org'],
    ['12345', 'sms.localhost', '12345@sms.localhost'],
    [raw`bob\40example.net`, 'mail.example.org', raw`bob\40example.net@mail.example.org`],
    ['ci', 'hooks.example.org', 'ci@hooks.example.org'],
    ['x'.repeat(1023), 'a.example', `${'x'.repeat(1023)}@a.example`],
  ])('(%j, %j) -> %s', (localpart, domain, jid) => {
    expect(contactJid(localpart, domain)).toBe(jid);
  });

  it.each([
    ['', 'sms.example.org'],
    ['bob@example.net', 'mail.example.org'],
    ["d'artagnan", 'mail.example.org'],
    ['a b', 'mail.example.org'],
    ['a/b', 'mail.example.org'],
    ['a:b', 'mail.example.org'],
    ['<a>', 'mail.example.org'],
    ['a"b', 'mail.example.org'],
    ['a&b', 'mail.example.org'],
    ['x'.repeat(1024), 'a.example'],
    ['é'.repeat(512), 'a.example'], // 1024 octets
  ])('refuses localpart %j', (localpart, domain) => {
    expect(codeOf(() => contactJid(localpart, domain))).toBe('ADDRESS_INVALID');
  });

  it.each(['', 'a@b', 'a/b', 'a b'])('refuses component domain %j', (domain) => {
    expect(codeOf(() => contactJid('ci', domain))).toBe('CONFIG_INVALID');
  });
});
