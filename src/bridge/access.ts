/**
 * Who may send through a component. Rules are domains (`example.org`: every
 * user of that domain) and bare JIDs (`alice@example.org`). The default is the
 * component's parent domain: `sms.example.org` serves users of `example.org`.
 */

/** `sms.example.org` -> `example.org`; a single-label parent such as `localhost` is kept. */
export function parentDomain(componentDomain: string): string {
  const dot = componentDomain.indexOf('.');
  return dot === -1 ? componentDomain : componentDomain.slice(dot + 1);
}

export function accessRules(componentDomain: string, allow: readonly string[] | undefined): string[] {
  return (allow ?? [parentDomain(componentDomain)]).map((r) => r.toLowerCase());
}

/** Whether the bare JID `sender` (user@domain, lower-cased by the server) matches a rule. */
export function isAllowed(senderBareJid: string, rules: readonly string[]): boolean {
  const sender = senderBareJid.toLowerCase();
  const at = sender.lastIndexOf('@');
  const domain = at === -1 ? sender : sender.slice(at + 1);
  return rules.some((rule) => (rule.includes('@') ? rule === sender : rule === domain));
}
