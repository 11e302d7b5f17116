/**
 * Opens the generated index.html in Debian's Chromium (headless, via playwright-core), checks that
 * every chart rendered SVG marks and that the page logged no console errors, and saves a
 * screenshot (test/output/report.png, git-ignored). Skips only when /usr/bin/chromium is absent
 * and CI is not set; in CI a missing browser fails the test.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
import { generateReport } from '../src/main';
import { ReportOptionsSchema } from '../src/config';

const CHROMIUM = '/usr/bin/chromium';
const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, 'fixtures', 'synthetic');
const haveChromium = existsSync(CHROMIUM);
const runIt = haveChromium || process.env['CI'] !== undefined;
if (!runIt) console.warn(`browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium); it is required when CI is set`);

describe.runIf(runIt)('index.html in headless Chromium', () => {
  let work: string;
  let browser: BrowserContext;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'varshare-report-browser-'));
    await generateReport(ReportOptionsSchema.parse({ runsDir: fixtures, outDir: join(work, 'report'), bootstrapReps: 300, curveReps: 200 }));
    // A fresh profile directory per run (playwright passes it to Chromium as --user-data-dir).
    browser = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('renders every chart with SVG marks, logs no errors, makes no requests, and screenshots', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(join(work, 'report', 'index.html')).href);
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        id: f.id,
        svg: f.querySelector('svg') !== null,
        // Vega's SVG renderer wraps every mark in <g class="mark-<type> role-mark">.
        marks: f.querySelectorAll('g.role-mark path, g.role-mark rect, g.role-mark line, g.role-mark text').length,
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })),
    );
    expect(charts.length).toBeGreaterThanOrEqual(15);
    for (const c of charts) {
      expect(c.svg, c.id).toBe(true);
      expect(c.marks, c.id).toBeGreaterThan(0);
      expect(c.width, c.id).toBeGreaterThan(100);
    }
    const summary = await page.textContent('#summary');
    expect(summary).toContain('highest IQM');
    expect(await page.$$eval('#skipped-runs tbody tr', (rows) => rows.length)).toBe(3);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const outDir = join(here, 'output');
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, 'report.png'), fullPage: false });
    await page.screenshot({ path: join(outDir, 'report-full.png'), fullPage: true });
    expect(existsSync(join(outDir, 'report.png'))).toBe(true);
  });
});
