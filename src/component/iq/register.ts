/**
 * XEP-0077 In-Band Registration on an SMS component: a user sees the number
 * they own, or claims a free one from the pool (XEP-0004 form, or the legacy
 * <username/> field holding the number); <remove/> releases it.
 * https://xmpp.org/extensions/xep-0077.html
 */
import { xml } from '@xmpp/component';
import { bare } from '../../bridge/outbound.js';
import { GatewayError } from '../../errors/registry.js';
import type { NumberStore } from '../../store/numbers.js';
import type { ComponentContext } from '../context.js';
import { dataForm, submittedValues } from '../forms.js';
import { NS } from '../stanzas.js';
import { guard } from './guard.js';

export function registerRegistration(c: ComponentContext, numbers: NumberStore): void {
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
      const current = await numbers.numberOf(user);
      if (current !== undefined) {
        return xml(
          'query',
          { xmlns: NS.REGISTER },
          xml('registered'),
          xml('instructions', {}, `You send texts from ${current}. Remove this registration to give the number back.`),
          xml('username', {}, current),
          dataForm({
            type: 'form',
            formType: NS.REGISTER,
            title: `Your number on ${c.domain}`,
            fields: [{ var: 'number', type: 'fixed', value: current }],
          }),
        );
      }
      const free = await numbers.freeNumbers();
      const instructions =
        free.length > 0
          ? 'Choose the number you will send texts from.'
          : `No numbers are free on ${c.domain}; ask the administrator to assign you one.`;
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
          fields: [{ var: 'number', type: 'list-single', label: 'Phone number', required: true, options: free.slice(0, 100), ...(free[0] ? { value: free[0] } : {}) }],
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
        const released = await numbers.release(user);
        if (released === undefined) throw new GatewayError('NOT_FOUND', `you have no number on ${c.domain}`);
        log.info({ user, number: released }, 'number released by its owner (XEP-0077 remove)');
        return true;
      }
      const form = submittedValues(ctx.element);
      const wanted = (form?.number ?? ctx.element.getChildText('username') ?? '').trim();
      const number = await numbers.claim(user, wanted === '' ? undefined : wanted);
      log.info({ user, number }, 'number registered (XEP-0077)');
      return true;
    }),
  );
}
