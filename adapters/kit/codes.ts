/**
 * Provider error codes in plain language. Each provider keeps only its table
 * of codes (`<provider>/codes.ts`); this says them the same way for all.
 */

/** Code -> meaning. Codes are keys as the provider writes them (`21610`, `"40300"`). */
export type CodeMeanings = Readonly<Record<string, string>>;

/**
 * "meaning (Provider error N)": the table's meaning, else the provider's own
 * text, else "no details given".
 *
 * @example explainCode('Twilio', { 21610: 'the recipient has opted out' }, 21610) // 'the recipient has opted out (Twilio error 21610)'
 * @example explainCode('Telnyx', {}, '40399', 'Something new') // 'Something new (Telnyx error 40399)'
 */
export function explainCode(providerName: string, meanings: CodeMeanings, code: string | number, providerText?: string): string {
  const meaning = meanings[String(code)] ?? (providerText !== undefined && providerText !== '' ? providerText : 'no details given');
  return `${meaning} (${providerName} error ${code})`;
}
