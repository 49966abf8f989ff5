/** How a provider is named in the gateway's errors and logs. */
export interface ProviderName {
  /** Lower-case id that starts error messages, e.g. `twilio` in "twilio: cannot reach the API (...)". */
  id: string;
  /** The provider's own spelling, for sentences, e.g. `Twilio`. */
  name: string;
}
