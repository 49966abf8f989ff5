/**
 * XEP-0004 Data Forms: building the few forms the gateway shows (registration,
 * admin commands) and reading what clients submit.
 * https://xmpp.org/extensions/xep-0004.html
 */
import { xml, type Element } from '@xmpp/component';

export const NS_DATA = 'jabber:x:data';

/** A choice of a list field: its value, shown as the value itself or as a label. */
export type FormOption = string | { value: string; label: string };

export interface FormField {
  var: string;
  type: 'text-single' | 'jid-single' | 'list-single' | 'list-multi' | 'hidden' | 'fixed' | 'text-multi';
  label?: string;
  required?: boolean;
  value?: string;
  /** More values (list-multi, text-multi), after `value`. */
  values?: string[];
  options?: FormOption[];
}

const optionOf = (o: FormOption) => (typeof o === 'string' ? { value: o, label: o } : o);

export function dataForm(opts: { type: 'form' | 'result'; title?: string; instructions?: string; formType?: string; fields: FormField[] }): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type: opts.type },
    opts.title === undefined ? null : xml('title', {}, opts.title),
    opts.instructions === undefined ? null : xml('instructions', {}, opts.instructions),
    opts.formType === undefined ? null : xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, opts.formType)),
    ...opts.fields.map((f) =>
      xml(
        'field',
        { var: f.var, type: f.type, label: f.label },
        f.required ? xml('required') : null,
        ...[...(f.value === undefined ? [] : [f.value]), ...(f.values ?? [])].map((v) => xml('value', {}, v)),
        ...(f.options ?? []).map(optionOf).map((o) => xml('option', { label: o.label }, xml('value', {}, o.value))),
      ),
    ),
  );
}

/** A result form with a table: `<reported>` columns and one `<item>` per row (XEP-0004 §3.4). */
export function tableForm(title: string, columns: Array<{ var: string; label: string }>, rows: Array<Record<string, string>>): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'result' },
    xml('title', {}, title),
    xml('reported', {}, ...columns.map((c) => xml('field', { var: c.var, label: c.label, type: 'text-single' }))),
    ...rows.map((row) => xml('item', {}, ...columns.map((c) => xml('field', { var: c.var }, xml('value', {}, row[c.var] ?? ''))))),
  );
}

/** Every value of each field of a submitted form (`type="submit"`), trimmed, or undefined when there is none. */
export function submittedFields(parent: Element): Record<string, string[]> | undefined {
  const form = parent.getChild('x', NS_DATA);
  if (form === undefined || form.attrs.type !== 'submit') return undefined;
  const fields: Record<string, string[]> = {};
  for (const field of form.getChildren('field')) {
    const name = field.attrs.var as string | undefined;
    if (name !== undefined) fields[name] = field.getChildren('value').map((v) => v.text().trim());
  }
  return fields;
}

/** The first value of each field ('' for a field without one). */
export function firstValues(fields: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([name, values]) => [name, values[0] ?? '']));
}

/** The first value of each field of a submitted form (`type="submit"`), or undefined when there is none. */
export function submittedValues(parent: Element): Record<string, string> | undefined {
  const fields = submittedFields(parent);
  return fields === undefined ? undefined : firstValues(fields);
}
