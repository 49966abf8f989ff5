/**
 * Golden SMPP v3.4 PDUs, written by hand from the specification
 * (https://smpp.org/SMPP_v3_4_Issue1_2.pdf), not from any library's output:
 * the adapter and the SMSC double both use the `smpp` package, so a bug in it
 * would look right on both sides without these.
 *
 * Every PDU is a 16-octet header (§3.2: command_length, command_id,
 * command_status, sequence_number, each a 4-octet big-endian integer) and
 * the command's mandatory body fields in the order of its table; C-Octet
 * Strings end with a NUL (§3.1), an empty one is the NUL alone.
 *
 * The exchange they spell out, for the test beside this file: the adapter
 * binds as gw-test / secret1; alice (+15550001111) texts +15551234567 a
 * 161-character GSM text, which goes as two parts with concatenation
 * reference 0x2a; the SMSC accepts the last part as 7d3f0a12 and later
 * sends its delivery receipt.
 */

/** Hex of one PDU from commented pieces; throws when command_length is not the PDU's length. */
function pdu(...pieces: string[]): Buffer {
  const bytes = Buffer.from(pieces.join('').replace(/\s+/g, ''), 'hex');
  if (bytes.readUInt32BE(0) !== bytes.length) {
    throw new Error(`golden PDU: command_length says ${bytes.readUInt32BE(0)}, the PDU has ${bytes.length} octets`);
  }
  return bytes;
}

/** The text of the concatenated message: 161 GSM-7 characters, so 153 + 8 (TS 23.040: 7 septets of 160 go to the UDH). */
export const LONG_TEXT = `${'0123456789'.repeat(15)}012Bye now!`;

/** bind_transceiver (§4.1.5), the first PDU on the link. */
export const BIND_TRANSCEIVER = pdu(
  '00000025', // command_length: 37
  '00000009', // command_id: bind_transceiver
  '00000000', // command_status: NULL in a request
  '00000001', // sequence_number: 1
  '67772d7465737400', // system_id: "gw-test"
  '7365637265743100', // password: "secret1"
  '00', // system_type: "" (the default)
  '34', // interface_version: 0x34, SMPP v3.4 (§5.2.4)
  '00', // addr_ton: 0, unknown (§5.2.5)
  '00', // addr_npi: 0, unknown (§5.2.6)
  '00', // address_range: "" (§5.2.7)
);

/** bind_transceiver_resp (§4.1.6) from the SMSC. */
export const BIND_TRANSCEIVER_RESP = pdu(
  '00000015', // command_length: 21
  '80000009', // command_id: bind_transceiver_resp
  '00000000', // command_status: ESME_ROK
  '00000001', // sequence_number: that of the bind
  '534d534300', // system_id: "SMSC"
);

/** The part of submit_sm (§4.4.1) from service_type to sm_default_msg_id, the same for both parts but registered_delivery. */
function submitHead(registeredDelivery: string): string {
  return [
    '00', // service_type: "" (SMSC default)
    '01', // source_addr_ton: 1, international (sourceTon default)
    '01', // source_addr_npi: 1, ISDN E.164 (sourceNpi default)
    '313535353030303131313100', // source_addr: "15550001111"
    '01', // dest_addr_ton: 1, international
    '01', // dest_addr_npi: 1, ISDN E.164
    '313535353132333435363700', // destination_addr: "15551234567"
    '40', // esm_class: 0x40, UDHI (short_message starts with a user data header, §5.2.12)
    '00', // protocol_id: 0
    '00', // priority_flag: 0
    '00', // schedule_delivery_time: "" (immediate)
    '00', // validity_period: "" (SMSC default)
    registeredDelivery, // registered_delivery (§5.2.17)
    '00', // replace_if_present_flag: 0
    '00', // data_coding: 0, SMSC default alphabet (GSM 03.38, one septet per octet, §5.2.19)
    '00', // sm_default_msg_id: 0
  ].join('');
}

/** submit_sm, part 1 of 2. */
export const SUBMIT_SM_PART_1 = pdu(
  '000000d6', // command_length: 214
  '00000004', // command_id: submit_sm
  '00000000', // command_status: NULL
  '00000002', // sequence_number: 2
  submitHead('00'), // registered_delivery: 0, no receipt (only the last part asks for one)
  '9f', // sm_length: 159 = 6 (UDH) + 153
  '050003', // UDH: UDHL 5; IEI 0x00 concatenated SM, 8-bit reference; IE length 3 (TS 23.040 §9.2.3.24.1)
  '2a', // reference number: 0x2a
  '02', // total parts: 2
  '01', // this part: 1
  '30313233343536373839'.repeat(15), // "0123456789" x 15 (GSM 03.38 digits are 0x30-0x39)
  '303132', // "012": 153 characters in all
);

/** submit_sm, part 2 of 2: the last, which asks for the delivery receipt. */
export const SUBMIT_SM_PART_2 = pdu(
  '00000045', // command_length: 69
  '00000004', // command_id: submit_sm
  '00000000', // command_status: NULL
  '00000003', // sequence_number: 3
  submitHead('01'), // registered_delivery: 1, SMSC delivery receipt on final outcome
  '0e', // sm_length: 14 = 6 (UDH) + 8
  '050003', // UDH: UDHL 5; IEI 0x00; IE length 3
  '2a', // reference number: 0x2a, as in part 1
  '02', // total parts: 2
  '02', // this part: 2
  '427965206e6f7721', // "Bye now!" (GSM 03.38 letters, space and "!" have their ASCII codes)
);

/** submit_sm_resp (§4.4.2) answering `sequence` with an 8-character message_id (given as hex). */
function submitSmResp(sequence: string, messageId: string): Buffer {
  return pdu(
    '00000019', // command_length: 25
    '80000004', // command_id: submit_sm_resp
    '00000000', // command_status: ESME_ROK
    sequence, // sequence_number: that of the submit_sm
    messageId, // message_id
    '00', // (its NUL)
  );
}

/** submit_sm_resp for part 1: message_id "7d3f0a11". */
export const SUBMIT_SM_RESP_1 = submitSmResp('00000002', '3764336630613131');

/** submit_sm_resp for part 2: message_id "7d3f0a12", the one the receipt names. */
export const SUBMIT_SM_RESP_2 = submitSmResp('00000003', '3764336630613132');

/** The receipt text, in the form of Appendix B (the spec spells "Text:" with a capital T). */
export const RECEIPT_TEXT = 'id:7d3f0a12 sub:001 dlvrd:001 submit date:2612010835 done date:2612010836 stat:DELIVRD err:000 Text:Bye now!';

/** deliver_sm (§4.6.1) carrying the SMSC delivery receipt for part 2. */
export const DELIVER_SM_RECEIPT = pdu(
  '000000a3', // command_length: 163
  '00000005', // command_id: deliver_sm
  '00000000', // command_status: NULL
  '00000007', // sequence_number: 7 (the SMSC's own numbering)
  '00', // service_type: ""
  '01', // source_addr_ton: 1, international
  '01', // source_addr_npi: 1, ISDN E.164
  '313535353132333435363700', // source_addr: "15551234567" (the handset the message went to)
  '01', // dest_addr_ton: 1
  '01', // dest_addr_npi: 1
  '313535353030303131313100', // destination_addr: "15550001111" (the sender)
  '04', // esm_class: 0x04, message type "SMSC Delivery Receipt" (§5.2.12)
  '00', // protocol_id: 0
  '00', // priority_flag: 0
  '00', // schedule_delivery_time: NULL in deliver_sm
  '00', // validity_period: NULL in deliver_sm
  '00', // registered_delivery: 0
  '00', // replace_if_present_flag: NULL in deliver_sm
  '00', // data_coding: 0, SMSC default alphabet
  '00', // sm_default_msg_id: NULL in deliver_sm
  '6c', // sm_length: 108
  '69643a376433663061313220', // "id:7d3f0a12 "
  '7375623a30303120', // "sub:001 "
  '646c7672643a30303120', // "dlvrd:001 "
  '7375626d697420646174653a3236313230313038333520', // "submit date:2612010835 "
  '646f6e6520646174653a3236313230313038333620', // "done date:2612010836 "
  '737461743a44454c49565244', '20', // "stat:DELIVRD "
  '6572723a30303020', // "err:000 "
  '546578743a427965206e6f7721', // "Text:Bye now!"
);

/** deliver_sm_resp (§4.6.2) the adapter answers with once the receipt is stored. */
export const DELIVER_SM_RESP = pdu(
  '00000011', // command_length: 17
  '80000005', // command_id: deliver_sm_resp
  '00000000', // command_status: ESME_ROK
  '00000007', // sequence_number: that of the deliver_sm
  '00', // message_id: unused, NULL (§4.6.2)
);
