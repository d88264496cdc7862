// Load every page of a plan in headless Chromium (Debian's, driven by playwright-core): sign in
// where the plan says, check each page's status and key figures, fail on any failed or foreign
// request, console error or script error, and save a full-page screenshot of each, plus its first
// screen at 800×600, 1366×768 and 1920×1080.
//
// Usage: node scripts/browser/check.mjs plan.json   (written by tests/browser.rs)
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const require = createRequire(path.join(root, 'target', 'browser-tools', 'package.json'));
const { chromium } = require('playwright-core');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
fs.mkdirSync(plan.screenshot_dir, { recursive: true });
const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const problems = [];
let current = '(start)';
let expectedStatus = 200;

async function session(origin, httpCredentials) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    httpCredentials,
  });
  const page = await context.newPage();
  page.on('requestfailed', (r) => problems.push(`${current}: request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) {
      problems.push(`${current}: request to another origin: ${r.url()}`);
    }
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') {
      problems.push(`${current}: ${r.status()} for ${r.url()}`);
    }
  });
  page.on('console', (m) => {
    // The browser reports a deliberate 404/400 page as a failed load: not a problem when expected.
    const expected = expectedStatus !== 200 && m.text().includes(`status of ${expectedStatus}`);
    if (m.type() === 'error' && !expected) problems.push(`${current}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${current}: script error: ${e.message}`));
  return page;
}

for (const site of plan.sites) {
  const page = await session(site.origin, site.http_credentials);
  if (site.login) {
    current = `${site.name} sign-in`;
    await page.goto(site.origin + site.login.path);
    await page.fill('#admin_key', site.login.admin_key);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (!page.url().includes('/dashboard')) problems.push(`sign-in did not reach the dashboard: ${page.url()}`);
  }
  for (const p of site.pages) {
    current = `${site.name} ${p.path}`;
    expectedStatus = p.status ?? 200;
    const started = Date.now();
    const response = await page.goto(site.origin + p.path, { waitUntil: 'load' });
    const ms = Date.now() - started;
    const status = response ? response.status() : 0;
    if (status !== (p.status ?? 200)) problems.push(`${current}: status ${status}, expected ${p.status ?? 200}`);
    // As read on screen (CSS may upper-case a label), compared without regard to case.
    const text = (await page.innerText('body')).toLowerCase();
    for (const needle of p.expect) {
      if (!text.includes(needle.toLowerCase())) problems.push(`${current}: "${needle}" not on the page`);
    }
    const file = path.join(plan.screenshot_dir, `${p.screenshot}.png`);
    await page.screenshot({ path: file, fullPage: p.full_page ?? true });
    // The first screen as a small rig monitor, a laptop and a control-room display show it.
    for (const [width, height] of [[800, 600], [1366, 768], [1920, 1080]]) {
      await page.setViewportSize({ width, height });
      await page.screenshot({ path: path.join(plan.screenshot_dir, `${p.screenshot}-${width}.png`) });
    }
    await page.setViewportSize({ width: 1440, height: 1000 });
    console.log(`ok ${status} ${ms} ms ${current} -> ${file} (and at 800, 1366, 1920 px)`);
  }
}
await browser.close();
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('browser check: every page loaded, every figure found, no request failed');
