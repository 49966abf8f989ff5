/**
 * Timestamps each message the Twilio double accepts, at the moment it
 * records it (the POST has been read and validated, the 201 is about to go
 * out), without keeping it: the double's `messages` array would otherwise
 * hold every one of a 100k-message run.
 */
import type { TwilioDouble, TwilioRecordedMessage } from '../../test/doubles/twilio.js';
import { wallNow } from './stats.js';

export function probeTwilio(double: TwilioDouble, onMessage: (body: string, at: number) => void): { accepted(): number } {
  let accepted = 0;
  const messages = double.messages;
  // The double appends with messages.push(recorded); count and drop instead.
  messages.push = (...items: TwilioRecordedMessage[]): number => {
    const at = wallNow();
    for (const m of items) {
      accepted++;
      onMessage(m.body, at);
    }
    return messages.length;
  };
  return { accepted: () => accepted };
}
