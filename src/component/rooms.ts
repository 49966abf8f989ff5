/**
 * Group chat rooms the component sits in (XEP-0045). Each occupant is one of
 * the component's JIDs (`<hook>@<domain>`) with its nick; it joins (§7.2:
 * presence to room@service/nick with `<x xmlns='http://jabber.org/protocol/muc'/>`)
 * on every 'online', and again after a kick, a ban lifted or a room restart
 * (unavailable self-presence, §7.14 status 110) or a refusal (presence
 * error, retried with backoff). The inbound worker asks `isJoined` before a
 * groupchat goes out: a message for a room not joined waits, it is not lost.
 * Groupchat traffic from the rooms (history, our own echoes) stops here.
 */
import { xml, type IncomingContext, type Next } from '@xmpp/component';
import type { Logger } from 'pino';
import { bare } from '../addressing/index.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ComponentConnection } from './connection.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

/** One room seat: who joins (a JID of this component), where, under which nick. */
export interface RoomSeat {
  occupant: string;
  room: string;
  nick: string;
}

/** What the inbound worker asks before sending a groupchat. */
export interface RoomMembership {
  isJoined(occupant: string, room: string): boolean;
}

type State = 'joining' | 'joined' | 'refused' | 'left';

export interface RoomsOptions {
  connection: ComponentConnection;
  seats: RoomSeat[];
  metrics: GatewayMetrics;
  logger: Logger;
  /** First wait before joining again after a refusal or a kick (default 2 s); doubles up to maxRetryMs (default 60 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

const key = (occupant: string, room: string) => `${occupant.toLowerCase()} ${room.toLowerCase()}`;

export class Rooms implements RoomMembership {
  private readonly seats = new Map<string, RoomSeat>();
  private readonly state = new Map<string, State>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly log: Logger;

  constructor(private readonly opts: RoomsOptions) {
    for (const seat of opts.seats) this.seats.set(key(seat.occupant, seat.room), seat);
    this.log = opts.logger.child({ domain: opts.connection.domain, rooms: true });
    opts.connection.on('online', () => this.joinAll());
    opts.connection.on('offline', () => this.reset());
  }

  isJoined(occupant: string, room: string): boolean {
    return this.state.get(key(occupant, room)) === 'joined';
  }

  private reset(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.state.clear();
  }

  private joinAll(): void {
    this.reset();
    for (const seat of this.seats.values()) void this.join(seat);
  }

  private async join(seat: RoomSeat): Promise<void> {
    const k = key(seat.occupant, seat.room);
    this.timers.delete(k);
    if (!this.opts.connection.isOnline()) return;
    // A room that keeps refusing stays 'refused' between tries: one log line, not one per try.
    if (this.state.get(k) !== 'refused') this.state.set(k, 'joining');
    try {
      // No history: what the room said before is not ours to read.
      await this.opts.connection.send(
        xml('presence', { from: seat.occupant, to: `${seat.room}/${seat.nick}` }, xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' }))),
      );
      this.opts.metrics.stanzasOut.inc({ domain: this.opts.connection.domain, kind: 'presence' });
    } catch (err) {
      this.log.warn({ room: seat.room, err: { message: (err as Error).message } }, `could not send the join for room ${seat.room}`);
      this.retry(seat);
    }
  }

  private retry(seat: RoomSeat): void {
    const k = key(seat.occupant, seat.room);
    const n = (this.failures.get(k) ?? 0) + 1;
    this.failures.set(k, n);
    const wait = Math.min((this.opts.retryMs ?? 2000) * 2 ** (n - 1), this.opts.maxRetryMs ?? 60_000);
    clearTimeout(this.timers.get(k));
    const t = setTimeout(() => void this.join(seat), wait);
    t.unref();
    this.timers.set(k, t);
  }

  private count(seat: RoomSeat, outcome: 'joined' | 'refused' | 'left'): void {
    this.opts.metrics.roomJoins.inc({ domain: this.opts.connection.domain, room: seat.room, outcome });
  }

  /** Presence from a room to one of our occupants: joined, refused, or out again. */
  private onPresence(ctx: IncomingContext): boolean {
    const from = String(ctx.stanza.attrs.from ?? '');
    const to = bare(String(ctx.stanza.attrs.to ?? ''));
    const seat = this.seats.get(key(to, bare(from)));
    if (seat === undefined) return false;
    const k = key(seat.occupant, seat.room);
    const self = from.slice(from.indexOf('/') + 1) === seat.nick || (ctx.stanza.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).some((s) => s.attrs.code === '110');
    const type = String(ctx.stanza.attrs.type ?? '');
    if (type === 'error') {
      const error = ctx.stanza.getChild('error');
      const condition = error?.children.find((c) => typeof c !== 'string' && c.name !== 'text');
      const text = error?.getChildText('text');
      const reason = `${typeof condition === 'object' ? condition.name : 'error'}${text ? `: ${text}` : ''}`;
      if (this.state.get(k) !== 'refused') {
        this.log.error({ room: seat.room, nick: seat.nick, occupant: seat.occupant, reason }, `room ${seat.room} refused the component (${reason}); messages for it wait until it lets ${seat.occupant} in as ${seat.nick}`);
      }
      this.state.set(k, 'refused');
      this.count(seat, 'refused');
      this.retry(seat);
      return true;
    }
    if (!self) return true; // other occupants coming and going
    if (type === 'unavailable') {
      // Kicked, banned, nick changed by the room, or the room shut down: sit down again.
      this.log.warn({ room: seat.room, nick: seat.nick }, `left room ${seat.room}; joining again`);
      this.state.set(k, 'left');
      this.count(seat, 'left');
      this.retry(seat);
      return true;
    }
    if (type === '' && this.state.get(k) !== 'joined') {
      this.state.set(k, 'joined');
      this.failures.delete(k);
      this.count(seat, 'joined');
      this.log.info({ room: seat.room, nick: seat.nick }, `joined room ${seat.room} as ${seat.nick}`);
    }
    return true;
  }

  /** Middleware: room presences and room groupchat traffic end here. */
  middleware() {
    return (ctx: IncomingContext, next: Next): unknown => {
      if (ctx.name === 'presence' && this.onPresence(ctx)) return undefined;
      if (ctx.name === 'message') {
        const from = bare(String(ctx.stanza.attrs.from ?? ''));
        const to = bare(String(ctx.stanza.attrs.to ?? ''));
        if (this.seats.has(key(to, from))) {
          if (ctx.type === 'error') this.log.warn({ room: from, error: ctx.stanza.getChild('error')?.toString().slice(0, 300) }, `room ${from} refused a message`);
          return undefined; // groupchat echoes, history, subject, room errors: nothing to answer
        }
      }
      return next();
    };
  }
}
