/**
 * The shipped Prometheus rules and Grafana dashboard (config/prometheus,
 * config/grafana): valid for promtool, alerts that fire on the series meant
 * to trip them (promtool's own rule tests), and every metric they name is
 * one the gateway exports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GatewayMetrics } from '../../src/metrics.js';

const run = promisify(execFile);
const RULES = 'config/prometheus/xmpp-gateway.rules.yml';
const DASHBOARD = 'config/grafana/xmpp-gateway.dashboard.json';

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

async function dashboardExprs(): Promise<string[]> {
  const dash = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
  return dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

/** Metric names a PromQL text uses (xgw_ ones; histograms by their base name). */
function metricNames(text: string): string[] {
  return [...new Set([...text.matchAll(/\bxgw_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')))];
}

describe('monitoring files', () => {
  it('the alert rules pass promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES]);
    expect(stdout).toContain('SUCCESS: 6 rules found');
  });

  it("the alerts fire on the series meant to trip them and not on healthy ones (promtool's rule tests)", async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'xmpp-gateway.rules.test.yml'], { cwd: 'config/prometheus' });
    expect(stdout).toContain('SUCCESS');
  });

  it("every dashboard query is valid PromQL (checked by promtool as recording rules, Grafana's $__rate_interval as 5m)", async () => {
    const exprs = await dashboardExprs();
    expect(exprs.length).toBeGreaterThanOrEqual(12);
    const dir = await mkdtemp(join(tmpdir(), 'xgw-dash-'));
    const file = join(dir, 'dashboard-queries.yml');
    const rules = exprs.map((expr, i) => ({ record: `xgw_dashboard:query_${i}`, expr: expr.replaceAll('$__rate_interval', '5m') }));
    await writeFile(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const { stdout } = await run('promtool', ['check', 'rules', file]);
    expect(stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
  });

  it('every metric the rules and the dashboard use is one the gateway exports', async () => {
    const addedAt = Date.now() - 90_000;
    const metrics = new GatewayMetrics({
      jobCounts: async () => [{ queue: 'out/sms.example.org', counts: { waiting: 3 } }],
      oldestPending: async () => [{ queue: 'out/sms.example.org', addedAt }],
    });
    metrics.deliveryLatency.observe({ domain: 'sms.example.org' }, 0.2);
    const exported = await metrics.registry.metrics();
    const names = new Set([...exported.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    const used = metricNames(`${await readFile(RULES, 'utf8')}\n${(await dashboardExprs()).join('\n')}`);
    expect(used.length).toBeGreaterThanOrEqual(10);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
    const oldest = /^xgw_queue_oldest_pending_seconds\{queue="out\/sms.example.org"\} (\S+)$/m.exec(exported)?.[1];
    expect(Number(oldest)).toBeGreaterThanOrEqual(90);
    expect(Number(oldest)).toBeLessThan(100);
  });
});
