// Minimal typings for @xmpp/client 0.14 (it ships none): only what the test
// helpers use. https://github.com/xmppjs/xmpp.js/tree/main/packages/client
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';

  export type { Element };

  export type XmlAttrs = XmppJs.XmlAttrs;
  export type XmlChild = XmppJs.XmlChild;

  /** The ltx element builder @xmpp/xml re-exports. */
  export function xml(name: string, attrs?: XmlAttrs | null, ...children: (XmlChild | XmlChild[])[]): Element;

  export type JID = XmppJs.JID;
  export function jid(address: string): JID;
  export function jid(local: string | null, domain: string, resource?: string | null): JID;

  export interface IQCaller {
    /** Sends an iq and resolves with the result iq; rejects with a StanzaError on an error reply. */
    request(stanza: Element, timeoutMs?: number): Promise<Element>;
    get(child: Element, to?: string, timeoutMs?: number): Promise<Element>;
    set(child: Element, to?: string, timeoutMs?: number): Promise<Element>;
  }

  export type Reconnect = XmppJs.Reconnect;

  export type ClientStatus = XmppJs.Status;

  export interface Client extends EventEmitter {
    jid: JID | null;
    status: ClientStatus;
    /** Milliseconds the stream open/close steps wait before failing. */
    timeout: number;
    socket: { destroy(): void } | null;
    reconnect: Reconnect;
    iqCaller: IQCaller;
    start(): Promise<JID>;
    stop(): Promise<Element | undefined>;
    send(element: Element): Promise<void>;
    on(event: 'stanza' | 'element' | 'nonza', listener: (element: Element) => void): this;
    on(event: 'online', listener: (address: JID) => void): this;
    on(event: 'status', listener: (status: ClientStatus) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'offline' | 'disconnect', listener: () => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export interface Credentials {
    username: string;
    password: string;
  }

  /** Picks the SASL mechanism: call `authenticate` with one of `mechanisms` (in the server's order). */
  export type CredentialsProvider = (
    authenticate: (credentials: Credentials, mechanism: string) => Promise<void>,
    mechanisms: string[],
  ) => Promise<void>;

  export interface ClientOptions {
    /** e.g. `xmpp://127.0.0.1:5222` */
    service: string;
    domain: string;
    username?: string;
    password?: string;
    /** Replaces username/password when given. */
    credentials?: CredentialsProvider;
    resource?: string;
  }

  export function client(options: ClientOptions): Client;
}
