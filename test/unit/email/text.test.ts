/**
 * Mail text -> chat text (adapters/email/smtp/inbound/text.ts): replies as
 * Gmail, Thunderbird, Apple Mail and Outlook write them, with their quoted
 * history and signatures; HTML-only mail; subjects.
 */
import { describe, expect, it } from 'vitest';
import { cutText, htmlAsText, normalSubject, trimQuoted, withSubjectLine } from '../../../adapters/email/smtp/inbound/text.js';

describe('trimQuoted', () => {
  it('cuts a Gmail reply at "On ... wrote:" and the quote below it', () => {
    const mail = [
      'Friday works, see you at noon.',
      '',
      'On Tue, Dec 1, 2026 at 9:12 AM alice <alice.localhost@mail.localhost> wrote:',
      '> Are you free on Friday?',
      '>',
      '> alice',
    ].join('\r\n');
    expect(trimQuoted(mail)).toBe('Friday works, see you at noon.');
  });

  it('cuts an attribution line Gmail wrapped over two lines', () => {
    const mail = ['Sounds good.', '', 'On Tue, 1 Dec 2026 at 09:12, Alice Example <alice.localhost@mail.localhost>', 'wrote:', '> hi'].join('\n');
    expect(trimQuoted(mail)).toBe('Sounds good.');
  });

  it('cuts a German Thunderbird attribution', () => {
    const mail = ['Passt mir.', '', 'Am 01.12.26 um 09:12 schrieb alice:', '> Freitag?'].join('\n');
    expect(trimQuoted(mail)).toBe('Passt mir.');
  });

  it('cuts the signature after "-- "', () => {
    const mail = ['Thanks, received.', '', '-- ', 'Bob Example', 'ACME Corp. | +1 555 0100'].join('\n');
    expect(trimQuoted(mail)).toBe('Thanks, received.');
  });

  it('cuts an Outlook reply at -----Original Message-----', () => {
    const mail = [
      'Approved.',
      '',
      'Regards,',
      'Carol',
      '',
      '-----Original Message-----',
      'From: alice <alice.localhost@mail.localhost>',
      'Sent: Tuesday, December 1, 2026 9:12 AM',
      'To: Carol <carol@example.com>',
      'Subject: Budget',
      '',
      'Can you approve the budget?',
    ].join('\r\n');
    expect(trimQuoted(mail)).toBe('Approved.\n\nRegards,\nCarol');
  });

  it('cuts an Outlook reply at its From:/Sent: header block (no separator line)', () => {
    const mail = [
      'Yes, go ahead.',
      '',
      '________________________________',
      'From: alice <alice.localhost@mail.localhost>',
      'Sent: Tuesday, December 1, 2026 09:12',
      'To: Dave',
      'Subject: RE: deploy',
      '',
      'Shall I deploy?',
    ].join('\n');
    expect(trimQuoted(mail)).toBe('Yes, go ahead.');
    const bare = ['Yes.', '', 'From: alice <alice.localhost@mail.localhost>', 'Date: Tuesday, December 1, 2026 09:12', 'Subject: deploy', '', 'Shall I?'].join('\n');
    expect(trimQuoted(bare)).toBe('Yes.');
  });

  it('keeps an interleaved reply whole (answers between quotes)', () => {
    const mail = ['> Friday?', 'Yes.', '> Noon?', 'Better 1pm.'].join('\n');
    expect(trimQuoted(mail)).toBe(mail);
  });

  it('cuts a trailing quote block with no attribution', () => {
    expect(trimQuoted('Done.\n\n> please do it\n> thanks\n')).toBe('Done.');
  });

  it('keeps a mail that is nothing but a quote (a forward) rather than sending nothing', () => {
    const mail = '> the whole thing\n> quoted';
    expect(trimQuoted(mail)).toBe(mail);
  });

  it('keeps text that merely mentions "wrote" or starts with "On"', () => {
    const mail = 'On second thought, I wrote the report myself.\nIt is attached.';
    expect(trimQuoted(mail)).toBe(mail);
  });
});

describe('htmlAsText', () => {
  it('makes HTML-only mail readable and keeps its links', () => {
    const html =
      '<html><body><h1>Invoice 42</h1><p>Dear Alice,</p><p>your invoice is <b>ready</b>: <a href="https://billing.example.com/i/42">view it online</a>.</p><img src="cid:logo"><ul><li>Item one</li><li>Item two</li></ul></body></html>';
    const text = htmlAsText(html);
    expect(text).toContain('Invoice 42');
    expect(text).toContain('your invoice is ready: view it online [https://billing.example.com/i/42].');
    expect(text).toContain('* Item one');
    expect(text).not.toContain('<');
    expect(text).not.toContain('cid:logo');
  });

  it('does not repeat a link whose text is its address', () => {
    expect(htmlAsText('<p><a href="https://example.org/x">https://example.org/x</a></p>')).toBe('https://example.org/x');
  });
});

describe('subjects', () => {
  it('compares subjects without reply and forward prefixes', () => {
    expect(normalSubject('Re: RE: Fwd:  Lunch  on Friday')).toBe('lunch on friday');
    expect(normalSubject('AW: WG: Lunch on Friday')).toBe('lunch on friday');
    expect(normalSubject('[team] Re: Lunch on Friday')).toBe('lunch on friday');
    expect(normalSubject('Report')).not.toBe(normalSubject('Re: Lunch'));
  });

  it('puts the subject on the first line, in bold, before a blank line', () => {
    expect(withSubjectLine('See you there.', 'Lunch on Friday')).toBe('*Lunch on Friday*\n\nSee you there.');
    expect(withSubjectLine('', 'Only a subject')).toBe('*Only a subject*');
  });

  it('cuts a long text at a word break and marks the cut', () => {
    const text = 'word '.repeat(100);
    const cut = cutText(text, 52);
    expect(cut.endsWith(' …')).toBe(true);
    expect([...cut].length).toBeLessThanOrEqual(54);
    expect(cut.startsWith('word word')).toBe(true);
    expect(cutText('short', 52)).toBe('short');
  });
});
