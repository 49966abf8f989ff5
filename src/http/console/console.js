// The sandbox console's script: plain browser JavaScript, no build step.
// It reads the admin token from the URL fragment (#token=..., which browsers
// never send to the server), keeps it for this tab only (sessionStorage),
// and polls the sandbox routes of every sandbox component:
//   GET  /sandbox/console/components   which components, and who owns which address
//   GET  /sandbox/<domain>/outbox      what users sent to contacts (with a status each)
//   GET  /sandbox/<domain>/inbox       what contacts sent back (injected here)
//   POST /sandbox/<domain>/inbound     a reply as a contact, or a delivery status
// Everything shown is set as text (textContent), never as HTML.
'use strict';

const TOKEN_KEY = 'xgw-sandbox-console-token';
const POLL_MS = 2000;

/** @type {string | null} */
let token = null;
/** Rendered component sections and conversation cards, by key, so polling keeps what a person is typing. */
const sections = new Map();
const cards = new Map();

function notice(text, isError = false) {
  const el = document.getElementById('notice');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

function readToken() {
  const match = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    // The token leaves the address bar (and the history), kept for this tab only.
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

class Unauthorized extends Error {}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) throw new Unauthorized('the admin token was refused');
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(data && data.message ? data.message : `HTTP ${res.status}`);
  return data;
}

const path = (domain, what) => `/sandbox/${encodeURIComponent(domain)}/${what}`;

function askForToken(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  if (reason) notice(reason, true);
  document.getElementById('token-form').hidden = false;
}

/** The local party of a conversation: the owner of a gateway address, else the address itself (a JID). */
function localParty(component, address) {
  return component.addresses[address] ?? address.toLowerCase();
}

/** Both directions of every conversation on a component, keyed by contact and local user. */
function conversations(component, outbox, inbox) {
  const byKey = new Map();
  const get = (contact, address) => {
    const local = localParty(component, address);
    const key = `${component.domain}\n${contact}\n${local}`;
    if (!byKey.has(key)) byKey.set(key, { key, contact, local, replyTo: address, items: [] });
    return byKey.get(key);
  };
  for (const m of outbox) {
    const c = get(m.to, m.from);
    c.replyTo = m.from; // answer the address the user wrote from (their number, or their JID)
    c.items.push({ kind: 'user', at: m.sentAt, message: m });
  }
  for (const m of inbox) get(m.from, m.to).items.push({ kind: 'contact', at: m.receivedAt, message: m });
  for (const c of byKey.values()) c.items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return [...byKey.values()];
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function time(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString();
}

function messageItem(component, item) {
  const m = item.message;
  const li = el('li', `message ${item.kind === 'user' ? 'sent-by-user' : 'sent-by-contact'}`);
  li.dataset.id = m.id;
  if (m.subject) li.append(el('div', 'subject', m.subject));
  li.append(el('div', 'body', m.body));
  for (const url of m.mediaUrls ?? []) li.append(el('div', 'media', url));
  const meta = el('div', 'meta');
  meta.append(el('span', 'when', time(item.at)));
  if (item.kind === 'user') {
    meta.append(el('span', `status status-${m.status}`, m.status));
    if (m.statusReason) meta.append(el('span', 'reason', m.statusReason));
    if (m.status === 'sent') {
      for (const [label, status] of [['Mark delivered', 'delivered'], ['Mark failed', 'failed']]) {
        const button = el('button', `mark-${status}`, label);
        button.type = 'button';
        button.addEventListener('click', () => markStatus(component, m.id, status, button));
        meta.append(button);
      }
    }
  } else {
    meta.append(el('span', 'status', 'from the contact'));
  }
  li.append(meta);
  return li;
}

/** Runs an admin action and refreshes; resolves true when it worked (failures are shown). */
async function act(what, button) {
  if (button) button.disabled = true;
  try {
    await what();
    await refresh();
    return true;
  } catch (err) {
    if (err instanceof Unauthorized) askForToken(err.message);
    else notice(err.message, true);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

function markStatus(component, id, status, button) {
  const body = { status, id, ...(status === 'failed' ? { reason: 'marked failed in the sandbox console' } : {}) };
  return act(async () => {
    await api('POST', path(component.domain, 'inbound'), body);
    notice(`Message ${id} marked ${status}.`);
  }, button);
}

function inject(component, from, to, text, button) {
  return act(async () => {
    await api('POST', path(component.domain, 'inbound'), { from, to, body: text });
    notice(`Sent as ${from} to ${to}.`);
  }, button);
}

function conversationCard(component, conv) {
  let card = cards.get(conv.key);
  if (!card) {
    const node = document.getElementById('conversation-template').content.firstElementChild.cloneNode(true);
    for (const span of node.querySelectorAll('.contact')) span.textContent = conv.contact;
    node.dataset.contact = conv.contact;
    node.dataset.local = conv.local;
    card = { node, signature: '', conv };
    const form = node.querySelector('.reply-form');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const textarea = form.elements.namedItem('body');
      const text = textarea.value;
      void inject(component, card.conv.contact, card.conv.replyTo, text, form.querySelector('button')).then((sent) => {
        if (sent) textarea.value = '';
      });
    });
    cards.set(conv.key, card);
  }
  card.conv = conv;
  const local = conv.replyTo === conv.local ? conv.local : `${conv.local} (${conv.replyTo})`;
  card.node.querySelector('.local').textContent = local;
  const signature = JSON.stringify(conv.items.map((i) => [i.message.id, i.message.status]));
  if (signature !== card.signature) {
    card.signature = signature;
    const list = card.node.querySelector('.messages');
    list.replaceChildren(...conv.items.map((item) => messageItem(component, item)));
    list.scrollTop = list.scrollHeight;
  }
  return card.node;
}

function componentSection(component) {
  let section = sections.get(component.domain);
  if (!section) {
    section = document.getElementById('component-template').content.firstElementChild.cloneNode(true);
    section.dataset.domain = component.domain;
    section.querySelector('.component-name').textContent = component.name;
    section.querySelector('.component-domain').textContent = component.domain;
    const form = section.querySelector('.compose-form');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = (name) => form.elements.namedItem(name).value.trim();
      const textarea = form.elements.namedItem('body');
      void inject(component, value('from'), value('to'), textarea.value, form.querySelector('button')).then((sent) => {
        if (sent) textarea.value = '';
      });
    });
    sections.set(component.domain, section);
    document.getElementById('components').append(section);
  }
  const owned = Object.entries(component.addresses);
  section.querySelector('.accounts').textContent =
    owned.length === 0
      ? `No ${component.addressLabel ? component.addressLabel.toLowerCase() + 's' : 'gateway addresses'} assigned: write to a local user by JID.`
      : `Gateway addresses: ${owned.map(([address, owner]) => `${address} → ${owner}`).join(', ')}`;
  return section;
}

/**
 * Makes `nodes` the children of `parent`, in order, moving only those out of
 * place: a card a person is typing in keeps its focus and its text.
 */
function placeInOrder(parent, nodes) {
  nodes.forEach((node, i) => {
    const here = parent.children[i];
    if (here !== node) parent.insertBefore(node, here ?? null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild.remove();
}

async function refresh() {
  if (!token) return;
  const components = await api('GET', '/sandbox/console/components');
  if (components.length === 0) notice('No component runs on the sandbox provider.');
  for (const component of components) {
    const [outbox, inbox] = await Promise.all([api('GET', path(component.domain, 'outbox')), api('GET', path(component.domain, 'inbox'))]);
    const section = componentSection(component);
    const convs = conversations(component, outbox, inbox);
    placeInOrder(section.querySelector('.conversations'), convs.map((c) => conversationCard(component, c)));
    section.querySelector('.empty').hidden = convs.length > 0;
  }
}

async function poll() {
  try {
    await refresh();
  } catch (err) {
    if (err instanceof Unauthorized) askForToken(err.message);
    else notice(`Could not reach the gateway: ${err.message}`, true);
  }
  setTimeout(poll, POLL_MS);
}

document.getElementById('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = document.getElementById('token-input').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  document.getElementById('token-form').hidden = true;
  notice('');
});

token = readToken();
if (!token) askForToken('Open the address dev.sh printed (it ends in #token=...), or paste the admin token.');
void poll();
