/** The SMPP window and the reassembly of concatenated inbound messages (pure, fake clock). */
import { describe, expect, it } from 'vitest';
import { assembledText, concatenatedId, Reassembler } from '../../../../adapters/sms/smpp/reassembly.js';
import { Window } from '../../../../adapters/sms/smpp/window.js';

describe('Window', () => {
  it('lets `size` holders in and queues the rest in order', async () => {
    const window = new Window(2);
    const r1 = await window.acquire();
    const r2 = await window.acquire();
    const order: number[] = [];
    const third = window.acquire().then((release) => (order.push(3), release));
    const fourth = window.acquire().then((release) => (order.push(4), release));
    expect([window.outstanding, window.waiting]).toEqual([2, 2]);
    r1();
    r1(); // a second release of the same slot changes nothing
    const r3 = await third;
    expect([window.outstanding, window.waiting, order]).toEqual([2, 1, [3]]);
    r2();
    (await fourth)();
    r3();
    expect([window.outstanding, window.waiting, order]).toEqual([0, 0, [3, 4]]);
  });

  it('gives up waiting when the signal aborts, and refuses an aborted signal at once', async () => {
    const window = new Window(1);
    const release = await window.acquire();
    const ac = new AbortController();
    const waiting = window.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(window.waiting).toBe(0);
    await expect(window.acquire(ac.signal)).rejects.toThrow('stop');
    release();
    expect(window.outstanding).toBe(0);
  });

  it('refuses a size below 1', () => {
    expect(() => new Window(0)).toThrow(RangeError);
  });
});

describe('Reassembler', () => {
  const part = (seq: number, text: string, extra: Partial<{ from: string; ref: number; total: number; refBits: 8 | 16 }> = {}) => ({
    from: extra.from ?? '+15551234567',
    to: '+15550001111',
    concat: { ref: extra.ref ?? 7, refBits: extra.refBits ?? 8, total: extra.total ?? 3, seq },
    text,
  });

  it('returns the message once every part is in, in sequence order whatever the arrival order', () => {
    const r = new Reassembler({ timeoutMs: 1000 });
    expect(r.add(part(3, 'C'))).toBeUndefined();
    expect(r.add(part(1, 'A'))).toBeUndefined();
    const whole = r.add(part(2, 'B'));
    expect(whole && assembledText(whole)).toBe('ABC');
    expect(r.size).toBe(0);
  });

  it('keeps messages apart by sender, reference and reference width', () => {
    const r = new Reassembler({ timeoutMs: 1000 });
    r.add(part(1, 'a', { total: 2 }));
    r.add(part(1, 'x', { total: 2, from: '+15559999999' }));
    r.add(part(1, 'p', { total: 2, ref: 8 }));
    r.add(part(1, 'q', { total: 2, refBits: 16 }));
    expect(r.size).toBe(4);
    expect(assembledText(r.add(part(2, 'b', { total: 2 })) ?? { parts: new Map(), total: 0 })).toBe('ab');
  });

  it('gives the same id to the same message delivered twice, and a different one to another text', () => {
    const r = new Reassembler({ timeoutMs: 1000 });
    const first = (r.add(part(1, 'A', { total: 2 })), r.add(part(2, 'B', { total: 2 })));
    const again = (r.add(part(1, 'A', { total: 2 })), r.add(part(2, 'B', { total: 2 })));
    const other = (r.add(part(1, 'A', { total: 2 })), r.add(part(2, 'Z', { total: 2 })));
    expect(first?.id).toMatch(/^smpp-c-[0-9a-f]{32}$/);
    expect(again?.id).toBe(first?.id);
    expect(other?.id).not.toBe(first?.id);
    expect(concatenatedId('+1', '+2', { ref: 1, refBits: 8, total: 2 }, 'x')).not.toBe(
      concatenatedId('+1', '+2', { ref: 1, refBits: 16, total: 2 }, 'x'),
    );
  });

  it('hands out incomplete messages after the timeout, with a note per missing part', () => {
    let now = 0;
    const r = new Reassembler({ timeoutMs: 1000, now: () => now });
    r.add(part(1, 'Hello '));
    r.add(part(3, '!'));
    now = 999;
    expect(r.expired()).toEqual([]);
    now = 1000;
    const [partial] = r.expired();
    expect(partial && assembledText(partial)).toBe('Hello [part 2 of 3 did not arrive]!');
    expect(r.size).toBe(0);
  });

  it('puts a message back without the part whose delivery failed', () => {
    const r = new Reassembler({ timeoutMs: 1000 });
    r.add(part(1, 'A', { total: 2 }));
    const whole = r.add(part(2, 'B', { total: 2 }));
    if (!whole) throw new Error('expected a whole message');
    r.putBack(whole, 2);
    expect(r.size).toBe(1);
    expect(assembledText(r.add(part(2, 'B', { total: 2 })) ?? { parts: new Map(), total: 0 })).toBe('AB');
  });

  it('beyond its cap, hands the oldest incomplete messages out at the next sweep', () => {
    let now = 0;
    const r = new Reassembler({ timeoutMs: 60_000, maxPending: 2, now: () => now });
    r.add(part(1, 'one', { ref: 1 }));
    r.add(part(1, 'two', { ref: 2 }));
    r.add(part(1, 'three', { ref: 3 }));
    now = 1;
    expect(r.expired().map((p) => p.parts.get(1))).toEqual(['one']);
  });
});
