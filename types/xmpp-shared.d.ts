// What @xmpp/client and @xmpp/component share (both are xmpp.js, built on
// @xmpp/connection, @xmpp/jid and @xmpp/reconnect): declared once here and
// re-exported by the two local typings.
// https://github.com/xmppjs/xmpp.js/tree/main/packages
declare namespace XmppJs {
  /** Attribute values xml() accepts; undefined and null attributes are left out. */
  type XmlAttrs = Record<string, string | number | boolean | null | undefined>;
  type XmlChild = import('ltx').Element | string | number | null | undefined | false;

  interface JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
    equals(other: JID): boolean;
  }

  /** @xmpp/connection's status values. */
  type Status =
    | 'offline'
    | 'connecting'
    | 'connect'
    | 'opening'
    | 'open'
    | 'online'
    | 'closing'
    | 'close'
    | 'disconnecting'
    | 'disconnect';

  /** @xmpp/reconnect. */
  interface Reconnect extends NodeJS.EventEmitter {
    delay: number;
    start(): void;
    stop(): void;
  }
}
