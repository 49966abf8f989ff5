// Minimal typings for `smpp` 0.5 (node-smpp; it ships none and DefinitelyTyped
// has none): the parts the SMPP adapter and its test double use.
// https://github.com/farhadi/node-smpp#api
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /**
     * `short_message` / `message_payload` as the library decodes them: the
     * user data header split into its information elements (each
     * `[IEI, length, ...data]`) and the text decoded by `data_coding`
     * (0 and 1 as GSM 03.38, 3 as Latin-1, 8 as UCS-2); other codings stay a Buffer.
     */
    interface DecodedMessage {
      udh?: Buffer[];
      message: string | Buffer;
    }

    /** Field values of a PDU, by their SMPP names. Unknown TLVs are keyed by their numeric tag. */
    type PduFields = Record<string, unknown>;

    class PDU {
      /** A request or response by command name, or a PDU parsed from its octets. */
      constructor(command: string | Buffer, options?: PduFields);
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      // Mandatory parameters and TLVs of the PDUs the gateway uses (absent when the PDU lacks them).
      system_id?: string;
      password?: string;
      system_type?: string;
      interface_version?: number;
      message_id?: string;
      service_type?: string;
      source_addr_ton?: number;
      source_addr_npi?: number;
      source_addr?: string;
      dest_addr_ton?: number;
      dest_addr_npi?: number;
      destination_addr?: string;
      esm_class?: number;
      registered_delivery?: number;
      data_coding?: number | null;
      short_message?: DecodedMessage | Buffer | string;
      message_payload?: DecodedMessage | Buffer | string;
      receipted_message_id?: string;
      message_state?: number;
      network_error_code?: Buffer;
      sar_msg_ref_num?: number;
      sar_total_segments?: number;
      sar_segment_seqnum?: number;
      isResponse(): boolean;
      response(options?: PduFields): PDU;
      toBuffer(): Buffer;
      static maxLength: number;
    }

    type ResponseCallback = (pdu: PDU) => void;

    interface Session extends EventEmitter {
      socket: Socket;
      /** Writes a PDU; false when the socket is not writable. Requests get a sequence number and their response calls `onResponse`. */
      send(pdu: PDU, onResponse?: ResponseCallback, onSent?: ResponseCallback): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
      bind_transceiver(options: PduFields, onResponse?: ResponseCallback): boolean;
      submit_sm(options: PduFields, onResponse?: ResponseCallback): boolean;
      deliver_sm(options: PduFields, onResponse?: ResponseCallback): boolean;
      enquire_link(options: PduFields, onResponse?: ResponseCallback): boolean;
      unbind(options: PduFields, onResponse?: ResponseCallback): boolean;
      on(event: 'connect' | 'close', listener: () => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: string, listener: (pdu: PDU) => void): this;
      once(event: 'connect' | 'close', listener: () => void): this;
      once(event: 'error', listener: (err: Error) => void): this;
      once(event: string, listener: (pdu: PDU) => void): this;
    }

    interface Server extends NetServer {
      sessions: Session[];
      on(event: 'session', listener: (session: Session) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }

    interface ConnectOptions {
      host?: string;
      port?: number;
      url?: string;
      auto_enquire_link_period?: number;
    }

    function connect(options: ConnectOptions, listener?: () => void): Session;
    function createServer(listener?: (session: Session) => void): Server;

    const ESME_ROK: number;
    const ESME_RBINDFAIL: number;
    const ESME_RINVPASWD: number;
    const ESME_RINVSYSID: number;
    const ESME_RTHROTTLED: number;
    const ESME_RMSGQFUL: number;
    const ESME_RINVDSTADR: number;
    const ESME_RSYSERR: number;
    const ESME_RX_T_APPN: number;
    /** The library's text encodings by name (ASCII is GSM 03.38, LATIN1, UCS2). */
    const encodings: Record<string, { match(text: string): boolean; encode(text: string): Buffer; decode(octets: Buffer): string }>;
    /** Every command_status the library knows, by name. */
    const errors: Record<string, number>;
  }

  export = smpp;
}
