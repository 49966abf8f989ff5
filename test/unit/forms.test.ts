/**
 * XEP-0004 data forms as the commands use them (list-multi with labelled
 * choices, several values, result tables), and the admin commands' own
 * wording helpers.
 */
import { xml } from '@xmpp/component';
import { describe, expect, it } from 'vitest';
import { age, retryChoice } from '../../src/component/iq/operations.js';
import { dataForm, firstValues, submittedFields, submittedValues, tableForm } from '../../src/component/forms.js';

const NS = 'jabber:x:data';

describe('data forms', () => {
  it('writes a list-multi field with labelled options and several values', () => {
    const form = dataForm({
      type: 'form',
      title: 'Retry',
      fields: [{ var: 'jobs', type: 'list-multi', label: 'Jobs', required: true, values: ['a', 'b'], options: ['all', { value: 'a', label: 'first job' }] }],
    });
    const field = form.getChild('field');
    expect(field?.attrs).toMatchObject({ var: 'jobs', type: 'list-multi', label: 'Jobs' });
    expect(field?.getChild('required')).toBeDefined();
    expect(field?.getChildren('value').map((v) => v.text())).toEqual(['a', 'b']);
    expect(field?.getChildren('option').map((o) => [o.attrs.label, o.getChildText('value')])).toEqual([
      ['all', 'all'],
      ['first job', 'a'],
    ]);
  });

  it('keeps one value where one is given, before any more', () => {
    const field = dataForm({ type: 'form', fields: [{ var: 'max', type: 'list-single', value: '25', options: ['10', '25'] }] }).getChild('field');
    expect(field?.getChildren('value').map((v) => v.text())).toEqual(['25']);
  });

  it('reads every value of a submitted field, and the first of each', () => {
    const submitted = xml(
      'command',
      {},
      xml(
        'x',
        { xmlns: NS, type: 'submit' },
        xml('field', { var: 'jobs' }, xml('value', {}, ' o-1 '), xml('value', {}, 'o-2')),
        xml('field', { var: 'max' }, xml('value', {}, '10')),
        xml('field', { var: 'empty' }),
      ),
    );
    expect(submittedFields(submitted)).toEqual({ jobs: ['o-1', 'o-2'], max: ['10'], empty: [] });
    expect(submittedValues(submitted)).toEqual({ jobs: 'o-1', max: '10', empty: '' });
    expect(firstValues({})).toEqual({});
  });

  it('reads nothing from a form that is not a submission', () => {
    expect(submittedFields(xml('command', {}, xml('x', { xmlns: NS, type: 'cancel' })))).toBeUndefined();
    expect(submittedFields(xml('command', {}))).toBeUndefined();
    expect(submittedValues(xml('command', {}, xml('x', { xmlns: 'other', type: 'submit' })))).toBeUndefined();
  });

  it('writes a result table: reported columns, one item per row, missing cells empty', () => {
    const table = tableForm('T', [{ var: 'a', label: 'A' }, { var: 'b', label: 'B' }], [{ a: '1', b: '2' }, { a: '3' }]);
    expect(table.attrs).toMatchObject({ xmlns: NS, type: 'result' });
    expect(table.getChild('reported')?.getChildren('field').map((f) => f.attrs.label)).toEqual(['A', 'B']);
    expect(table.getChildren('item').map((i) => i.getChildren('field').map((f) => f.getChildText('value')))).toEqual([
      ['1', '2'],
      ['3', ''],
    ]);
  });
});

describe('admin command wording', () => {
  it.each([
    [0, '0 s'],
    [1_499, '1 s'],
    [119_000, '119 s'],
    [120_000, '2 min'],
    [7_199_000, '120 min'],
    [7_200_000, '2 h'],
    [47 * 3_600_000, '47 h'],
    [2 * 86_400_000, '2 d'],
    [-5_000, '0 s'],
  ])('age(%i) = %s', (ms, text) => {
    expect(age(ms)).toBe(text);
  });

  it('offers a failed delivery by id, labelled with recipient, component, sender and the error cut to 80 characters', () => {
    const base = { id: 'o-1', domain: 'sms.localhost', to: '+15551234567', senderJid: 'alice@localhost', failedAt: 0 };
    expect(retryChoice({ ...base, error: 'DESTINATION_INVALID: no' })).toEqual({ value: 'o-1', label: '+15551234567 on sms.localhost from alice@localhost: DESTINATION_INVALID: no' });
    const long = retryChoice({ ...base, error: 'x'.repeat(200) });
    expect(typeof long === 'string' ? long : long.label).toBe(`+15551234567 on sms.localhost from alice@localhost: ${'x'.repeat(79)}…`);
  });
});
