// The operator dashboard end to end in a real browser (Chromium through playwright-core) against a real `hf run`:
// each role logs in with its token; live fills arrive over the WebSocket gateway; a trader toggles a strategy; a
// risk officer engages the kill switch (confirmation and reason) and sees every open order cancelled, the alert
// and the audit entry; a viewer has no controls and the API refuses its kill-switch request (audited, nothing
// changed); the dashboard says so when the connection is lost. Screenshots go to the test's temp dir, and the
// risk officer's view to docs/dashboard.png for the README.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessControl } from '../../src/services/auth.ts';
import { PgliteStore } from '../../src/store/pglite.ts';
import { freePort, ROOT, spawnHf, waitFor, type Spawned } from '../helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

interface OrderRow {
  readonly clientOrderId: string;
  readonly status: string;
  readonly lastReason: string | null;
}

interface AuditRow {
  readonly actor: string;
  readonly action: string;
  readonly key: string | null;
  readonly oldValue: string | null;
  readonly newValue: string | null;
  readonly reason: string | null;
  readonly outcome: string;
}

describe('operator dashboard in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hf-dashboard-'));
  const home = join(dir, 'home');
  const dist = join(dir, 'dist');
  const tokens = new Map<string, string>();
  let run: Spawned | undefined;
  let browser: Browser | undefined;
  let base = '';

  const bearer = (role: string): Record<string, string> => ({
    authorization: `Bearer ${tokens.get(role) ?? ''}`,
    'content-type': 'application/json',
  });
  const getJson = async <T>(path: string, role = 'admin'): Promise<T> => {
    const response = await fetch(`${base}${path}`, { headers: bearer(role) });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };

  /** A fresh browser context (its own cookies) logged in with the role's token. */
  const loginAs = async (role: string): Promise<Page> => {
    if (!browser) throw new Error('no browser');
    const context = await browser.newContext({ viewport: { width: 1600, height: 1300 } });
    const page = await context.newPage();
    await page.goto(base);
    await page.fill('[data-testid=login-token]', tokens.get(role) ?? '');
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector(`[data-testid=user-role][data-role="${role}"]`, { timeout: 20_000 });
    await page.waitForSelector('[data-testid=connection-status][data-state=open]', { timeout: 20_000 });
    return page;
  };

  const shot = async (page: Page, name: string): Promise<string> => {
    const file = join(dir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };

  beforeAll(async () => {
    // The dashboard built from frontend/ into this test's folder (never the shared frontend/dist).
    // A production build, as `npm run build:frontend` makes it (vitest runs with NODE_ENV=test).
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({
        configFile: join(ROOT, 'frontend', 'vite.config.ts'),
        mode: 'production',
        logLevel: 'silent',
        build: { outDir: dist, emptyOutDir: true },
      });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    // The first admin, as `hf user add admin --role admin` makes it with nothing running: in the home's store.
    mkdirSync(home, { recursive: true });
    const store = await PgliteStore.open(join(home, 'access'));
    const access = new AccessControl(store);
    await access.addUser('admin', 'admin');
    tokens.set('admin', (await access.createToken('admin', { label: 'e2e' })).token);
    await store.close();

    const apiPort = await freePort();
    const wsPort = await freePort();
    base = `http://127.0.0.1:${apiPort}`;
    run = spawnHf(
      [
        '--home',
        home,
        'run',
        '--port',
        String(apiPort),
        '--ws-port',
        String(wsPort),
        '--seed',
        '11',
        '--quiet',
      ],
      { HF_DASHBOARD_DIR: dist },
    );
    await waitFor(
      async () => ((await fetch(`${base}/health`).catch(() => undefined))?.ok ? true : undefined),
      'the API of hf run',
      120_000,
    );
    // The other roles, added by the admin through the API (each token shown once, in the answer).
    for (const [name, role] of [
      ['tina', 'trader'],
      ['rita', 'risk-officer'],
      ['vic', 'viewer'],
    ] as const) {
      const response = await fetch(`${base}/api/users`, {
        method: 'POST',
        headers: bearer('admin'),
        body: JSON.stringify({ name, role, issueToken: true, label: 'e2e' }),
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { token: { token: string } };
      tokens.set(role, body.token.token);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    // HF_E2E_KEEP=1 keeps the screenshots (and the home) to look at.
    if (process.env.HF_E2E_KEEP) console.log(`dashboard e2e files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('refuses a bad token at the login form', async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(base);
    await page.fill('[data-testid=login-token]', 'hft_not-a-real-token');
    await page.click('[data-testid=login-submit]');
    await expect
      .poll(async () => page.textContent('[data-testid=login-error]'), { timeout: 10_000 })
      .toContain('invalid, expired or revoked');
    await context.close();
  }, 60_000);

  it('a viewer watches live data with no controls, and the API refuses its kill switch', async () => {
    const page = await loginAs('viewer');
    await page.waitForSelector('[data-testid=fill-row]', { timeout: 45_000 });
    expect(await page.locator('[data-testid=kill-switch-button]').count()).toBe(0);
    expect(await page.locator('[data-testid^=strategy-toggle-]').count()).toBe(0);
    expect(await page.locator('[data-testid=route-override-form]').count()).toBe(0);
    expect(await page.locator('[data-testid=access-panel]').count()).toBe(0);
    await shot(page, 'viewer');

    // The same request a hand-made script would send: refused, nothing changed, the attempt audited.
    const refused = await fetch(`${base}/control`, {
      method: 'POST',
      headers: bearer('viewer'),
      body: JSON.stringify({
        key: 'policy:kill_switch',
        field: 'enabled',
        value: 'true',
        reason: 'viewer try',
      }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('AUTH_FORBIDDEN');
    // And from the viewer's own browser session (cookie and CSRF header): refused too.
    const fromBrowser = await page.evaluate(async () => {
      const session = (await (await fetch('/auth/session')).json()) as { csrf: string };
      const response = await fetch('/control', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hf-csrf': session.csrf },
        body: JSON.stringify({
          key: 'policy:kill_switch',
          field: 'enabled',
          value: 'true',
          reason: 'in page',
        }),
      });
      return response.status;
    });
    expect(fromBrowser).toBe(403);
    const control = await getJson<Record<string, Record<string, string>>>('/api/control');
    expect(control['policy:kill_switch']?.enabled).not.toBe('true');
    const audit = await getJson<AuditRow[]>('/api/audit?limit=20');
    const denied = audit.filter((a) => a.actor === 'vic' && a.outcome === 'denied');
    expect(denied.length).toBe(2);
    expect(denied[0]).toMatchObject({ key: 'policy:kill_switch', newValue: 'true' });
    await page.context().close();
  }, 120_000);

  it('a trader sees fills arrive live and toggles a strategy, but has no kill switch', async () => {
    const page = await loginAs('trader');
    expect(await page.locator('[data-testid=kill-switch-button]').count()).toBe(0);
    await page.waitForSelector('[data-testid=fill-row]', { timeout: 45_000 });
    const firstTrade = await page.getAttribute('[data-testid=fill-row] >> nth=0', 'data-trade');
    // A newer fill reaches the top of the table without a reload: pushed over the WebSocket.
    await expect
      .poll(async () => page.getAttribute('[data-testid=fill-row] >> nth=0', 'data-trade'), {
        timeout: 45_000,
      })
      .not.toBe(firstTrade);
    const shown = await page.getAttribute('[data-testid=fill-row] >> nth=0', 'data-trade');
    const fills = await getJson<{ tradeId: string }[]>('/api/fills?limit=10000');
    expect(fills.map((f) => f.tradeId)).toContain(shown);

    await page.click('[data-testid=strategy-toggle-sma-cross]');
    await page.waitForSelector('[data-testid=strategy-sma-cross][data-enabled=false]', { timeout: 15_000 });
    await page.click('[data-testid=strategy-toggle-sma-cross]');
    await page.waitForSelector('[data-testid=strategy-sma-cross][data-enabled=true]', { timeout: 15_000 });
    const audit = await getJson<AuditRow[]>('/api/audit?limit=20');
    const toggles = audit.filter((a) => a.actor === 'tina' && a.key === 'strategy:enabled');
    expect(toggles.map((a) => [a.oldValue, a.newValue, a.outcome])).toEqual([
      ['false', 'true', 'applied'],
      [null, 'false', 'applied'],
    ]);
    await shot(page, 'trader');
    await page.context().close();
  }, 120_000);

  it('a risk officer engages the kill switch: open orders cancelled, alert raised, audited', async () => {
    await waitFor(
      async () => {
        const open = await getJson<OrderRow[]>('/api/orders?status=open');
        return open.length > 0 ? open : undefined;
      },
      'open orders to cancel',
      60_000,
    );
    const page = await loginAs('risk-officer');
    await page.waitForSelector('[data-testid=fill-row]', { timeout: 45_000 });
    await page.waitForSelector('[data-testid=route-override-form]');
    await page.waitForTimeout(8000); // a few polls: the PnL line, the prices and the blotter fill in
    await page.screenshot({ path: join(ROOT, 'docs', 'dashboard.png') });
    await shot(page, 'risk-officer');

    await page.click('[data-testid=kill-switch-button]');
    await page.waitForSelector('[data-testid=kill-switch-dialog]');
    expect(await page.isDisabled('[data-testid=kill-switch-confirm]')).toBe(true);
    await page.fill('[data-testid=kill-switch-reason]', 'e2e: VaR breach drill');
    await shot(page, 'kill-switch-dialog');
    await page.click('[data-testid=kill-switch-confirm]');

    await page.waitForSelector('[data-testid=kill-switch-state][data-engaged=true]', { timeout: 15_000 });
    await waitFor(
      async () => ((await getJson<OrderRow[]>('/api/orders?status=open')).length === 0 ? true : undefined),
      'no open order left',
      15_000,
    );
    const closed = await getJson<OrderRow[]>('/api/orders?status=closed&limit=10000');
    expect(closed.some((o) => o.status === 'CANCELED' && o.lastReason === 'VENUE_KILL_SWITCH')).toBe(true);
    // The blotter shows the cancellations with their reason, the alert arrives over the WebSocket.
    await page.selectOption('select[aria-label="order filter"]', 'all');
    await page.waitForSelector('[data-testid=order-row][data-status=CANCELED] >> text=VENUE_KILL_SWITCH', {
      timeout: 15_000,
    });
    await page.waitForSelector('[data-testid=alerts-list] li[data-code=OPS_KILL_SWITCH_ON]', {
      timeout: 15_000,
    });
    await page.waitForSelector('[data-testid=audit-row][data-actor=rita][data-outcome=applied]', {
      timeout: 15_000,
    });
    const audit = await getJson<AuditRow[]>('/api/audit?limit=20');
    expect(audit.find((a) => a.actor === 'rita')).toMatchObject({
      key: 'policy:kill_switch',
      oldValue: null,
      newValue: 'true',
      reason: 'e2e: VaR breach drill',
      outcome: 'applied',
    });
    await shot(page, 'kill-switch-engaged');

    // Released the same way; trading resumes.
    await page.click('[data-testid=kill-switch-button]');
    await page.fill('[data-testid=kill-switch-reason]', 'e2e: drill over');
    await page.click('[data-testid=kill-switch-confirm]');
    await page.waitForSelector('[data-testid=kill-switch-state][data-engaged=false]', { timeout: 15_000 });
    await page.context().close();
  }, 180_000);

  it('an admin manages users; the connection loss shows when the stack stops', async () => {
    const page = await loginAs('admin');
    await page.waitForSelector('[data-testid=access-panel] >> text=rita');
    await shot(page, 'admin');
    run?.child.kill('SIGTERM');
    await page.waitForSelector('[data-testid=connection-status][data-state=lost]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid=connection-lost]');
    await shot(page, 'connection-lost');
    await run?.exited;
    await page.context().close();
  }, 120_000);
});
