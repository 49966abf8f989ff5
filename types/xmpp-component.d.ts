// Minimal typings for @xmpp/component 0.13 (it ships none; DefinitelyTyped has
// none either): the parts the gateway uses.
// https://github.com/xmppjs/xmpp.js/tree/main/packages/component
declare module '@xmpp/component' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';

  export type { Element };

  export type XmlAttrs = XmppJs.XmlAttrs;
  export type XmlChild = XmppJs.XmlChild;

  /** The ltx element builder, as @xmpp/xml re-exports it. Build stanzas with this one: the iq callee checks `instanceof xml.Element`. */
  export const xml: {
    (name: string, attrs?: XmlAttrs | null, ...children: (XmlChild | XmlChild[])[]): Element;
    Element: new (name: string, attrs?: XmlAttrs) => Element;
  };

  export type JID = XmppJs.JID;
  export function jid(address: string): JID;

  /** Middleware context for incoming stanzas (@xmpp/middleware IncomingContext). */
  export interface IncomingContext {
    stanza: Element;
    entity: Component;
    name: string;
    id: string;
    type: string;
    from: JID | null;
    to: JID | null;
    local: string;
    domain: string;
    resource: string;
    /** For iq get/set: the payload element (set by the iq callee). */
    element?: Element;
  }

  export type Next = () => Promise<unknown>;
  export type Middleware = (ctx: IncomingContext, next: Next) => unknown;

  export interface IQCallee {
    get(ns: string, name: string, handler: (ctx: IncomingContext & { element: Element }, next: Next) => unknown): void;
    set(ns: string, name: string, handler: (ctx: IncomingContext & { element: Element }, next: Next) => unknown): void;
  }

  export interface IQCaller {
    request(stanza: Element, timeoutMs?: number): Promise<Element>;
  }

  export type ComponentStatus = XmppJs.Status;

  export type Reconnect = XmppJs.Reconnect;

  export interface Component extends EventEmitter {
    status: ComponentStatus;
    jid: JID | null;
    timeout: number;
    options: { service: string; domain: string };
    socket: { destroy(): void; pause(): unknown; resume(): unknown } | null;
    reconnect: Reconnect;
    middleware: { use(fn: Middleware): Middleware; filter(fn: Middleware): Middleware };
    iqCallee: IQCallee;
    iqCaller: IQCaller;
    start(): Promise<JID>;
    stop(): Promise<Element | undefined>;
    send(element: Element): Promise<void>;
    sendMany(elements: Element[]): Promise<void>;
    write(data: string): Promise<void>;
    on(event: 'stanza' | 'element' | 'nonza', listener: (element: Element) => void): this;
    on(event: 'online', listener: (address: JID) => void): this;
    on(event: 'status', listener: (status: ComponentStatus, ...args: unknown[]) => void): this;
    on(event: 'error', listener: (error: Error & { condition?: string }) => void): this;
    on(event: 'offline' | 'disconnect', listener: (...args: unknown[]) => void): this;
  }

  export function component(options: { service: string; domain: string; password: string }): Component;
}
