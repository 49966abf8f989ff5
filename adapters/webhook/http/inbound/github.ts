/**
 * GitHub webhook events (https://docs.github.com/en/webhooks/webhook-events-and-payloads),
 * one short line each with the link to what happened. The event name is the
 * `X-GitHub-Event` header; an event not listed here is one line saying so,
 * never an error (GitHub sends `ping` when a hook is created, and admins may
 * tick more events than the gateway renders).
 */
import { at, objectPayload, text } from './payload-error.js';
import type { Rendered } from './render.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** First line of a text, at most `max` characters. */
const firstLine = (v: unknown, max = 120): string => {
  const line = str(v).split('\n')[0] ?? '';
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
};

type EventRenderer = (p: Record<string, unknown>, repo: string, who: string) => string;

const EVENTS: Record<string, EventRenderer> = {
  push: (p, repo, who) => {
    const commits = Array.isArray(p.commits) ? p.commits : [];
    const branch = str(p.ref).replace(/^refs\/(heads|tags)\//, '');
    const head = commits.length > 0 ? `: ${firstLine(at(commits[commits.length - 1], 'message'), 80)}` : '';
    return `[${repo}] ${str(at(p, 'pusher', 'name')) || who} pushed ${commits.length} commit${commits.length === 1 ? '' : 's'} to ${branch}${head}\n${str(p.compare)}`;
  },
  pull_request: (p, repo, who) =>
    `[${repo}] ${who} ${p.action === 'closed' && at(p, 'pull_request', 'merged') === true ? 'merged' : str(p.action)} PR #${str(at(p, 'pull_request', 'number') ?? p.number)}: ${firstLine(at(p, 'pull_request', 'title'))}\n${str(at(p, 'pull_request', 'html_url'))}`,
  issues: (p, repo, who) => `[${repo}] ${who} ${str(p.action)} issue #${str(at(p, 'issue', 'number'))}: ${firstLine(at(p, 'issue', 'title'))}\n${str(at(p, 'issue', 'html_url'))}`,
  issue_comment: (p, repo, who) =>
    `[${repo}] ${who} commented on #${str(at(p, 'issue', 'number'))}: ${firstLine(at(p, 'comment', 'body'))}\n${str(at(p, 'comment', 'html_url'))}`,
  release: (p, repo, who) => `[${repo}] ${who} ${str(p.action)} release ${str(at(p, 'release', 'tag_name'))}${text(at(p, 'release', 'name')) ? ` "${firstLine(at(p, 'release', 'name'))}"` : ''}\n${str(at(p, 'release', 'html_url'))}`,
  workflow_run: (p, repo) => {
    const run = at(p, 'workflow_run');
    const outcome = str(at(run, 'conclusion')) || str(at(run, 'status'));
    return `[${repo}] workflow ${str(at(run, 'name'))} ${outcome} on ${str(at(run, 'head_branch'))}\n${str(at(run, 'html_url'))}`;
  },
};

/** The events rendered as messages; any other is one line. */
export const GITHUB_EVENTS = Object.keys(EVENTS);

export function renderGithub(event: string | undefined, raw: unknown): Rendered {
  const payload = objectPayload('github', raw);
  const repo = str(at(payload, 'repository', 'full_name')) || 'github';
  const who = str(at(payload, 'sender', 'login')) || 'someone';
  const render = event === undefined ? undefined : EVENTS[event];
  if (render === undefined) return { body: `[${repo}] unsupported event ${event ?? '(no X-GitHub-Event)'}` };
  return { body: render(payload, repo, who).trimEnd() };
}
