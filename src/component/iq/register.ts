/**
 * XEP-0077 In-Band Registration where users own gateway addresses (an SMS
 * number, a mail address): a user sees the address they own, or claims a
 * free one from the pool (XEP-0004 form, or the legacy <username/> field
 * holding the address); <remove/> releases it. Worded by the network.
 * https://xmpp.org/extensions/xep-0077.html
 */
import { xml } from '@xmpp/component';
import { bare } from '../../addressing/index.js';
import { GatewayError } from '../../errors/registry.js';
import type { ComponentContext, ComponentOwnership } from '../context.js';
import { dataForm, submittedValues } from '../forms.js';
import { NS } from '../stanzas.js';
import { pluralNoun } from '../../store/ownership.js';
import { guard } from './guard.js';

export function registerRegistration(c: ComponentContext, ownership: ComponentOwnership): void {
  const { store, wording } = ownership;
  const { noun } = wording;
  const { iqCallee } = c.connection.entity;
  const log = c.logger.child({ domain: c.domain });

  const requireAllowed = (from: string): string => {
    const user = bare(from);
    if (!c.isAllowed(user)) throw new GatewayError('SENDER_FORBIDDEN', `${user} may not register on ${c.domain}`);
    return user;
  };

  iqCallee.get(
    NS.REGISTER,
    'query',
    guard(async (ctx) => {
      const user = requireAllowed(String(ctx.stanza.attrs.from ?? ''));
      const current = await store.addressOf(user);
      if (current !== undefined) {
        return xml(
          'query',
          { xmlns: NS.REGISTER },
          xml('registered'),
          xml('instructions', {}, `You ${wording.sendPhrase} from ${current}. Remove this registration to give the ${noun} back.`),
          xml('username', {}, current),
          dataForm({
            type: 'form',
            formType: NS.REGISTER,
            title: `Your ${noun} on ${c.domain}`,
            fields: [{ var: wording.field.var, type: 'fixed', value: current }],
          }),
        );
      }
      const free = await store.freeAddresses();
      const instructions =
        free.length > 0
          ? `Choose the ${noun} you will ${wording.sendPhrase} from.`
          : `No ${pluralNoun(wording)} are free on ${c.domain}; ask the administrator to assign you one.`;
      return xml(
        'query',
        { xmlns: NS.REGISTER },
        xml('instructions', {}, instructions),
        xml('username'),
        dataForm({
          type: 'form',
          formType: NS.REGISTER,
          title: `Register on ${c.domain}`,
          instructions,
          fields: [{ var: wording.field.var, type: 'list-single', label: wording.field.label, required: true, options: free.slice(0, 100), ...(free[0] ? { value: free[0] } : {}) }],
        }),
      );
    }),
  );

  iqCallee.set(
    NS.REGISTER,
    'query',
    guard(async (ctx): Promise<true> => {
      const user = requireAllowed(String(ctx.stanza.attrs.from ?? ''));
      if (ctx.element.getChild('remove') !== undefined) {
        const released = await store.release(user);
        if (released === undefined) throw new GatewayError('NOT_FOUND', `you have no ${noun} on ${c.domain}`);
        log.info({ user, [noun]: released }, `${noun} released by its owner (XEP-0077 remove)`);
        return true;
      }
      const form = submittedValues(ctx.element);
      const wanted = (form?.[wording.field.var] ?? ctx.element.getChildText('username') ?? '').trim();
      // Asking again while holding an address changes nothing, so only a new claim is checked and counted.
      const { claims } = ownership;
      const fresh = claims !== undefined && (await store.addressOf(user)) === undefined;
      if (fresh && !claims.mayClaim(user)) {
        throw new GatewayError('SENDER_FORBIDDEN', `${user} may not claim ${wording.aNoun} on ${c.domain} (numberPoolAllow); ask the administrator to assign one`);
      }
      const now = Date.now();
      const counted = fresh && claims.perDay !== undefined;
      if (counted && !(await claims.perDay!.take(user, now))) {
        throw new GatewayError(
          'LIMIT_EXCEEDED',
          `you may claim ${wording.aNoun} ${claims.perDay!.limit} times a day on ${c.domain}; try again after 00:00 UTC or ask the administrator`,
        );
      }
      let claimed: string;
      try {
        claimed = await store.claim(user, wanted === '' ? undefined : wanted);
      } catch (err) {
        if (counted) await claims.perDay!.giveBack(user, now).catch(() => undefined);
        throw err;
      }
      log.info({ user, [noun]: claimed }, `${noun} registered (XEP-0077)`);
      return true;
    }),
  );
}
