/**
 * Transitional: the provider unit tests (test/unit/twilio-*, telnyx-*) still
 * import freePort from here while they are being moved into provider folders.
 * Delete this file once they import test/support/ports.js.
 */
export { freePort } from '../support/ports.js';
