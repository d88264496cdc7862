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
  page.on('requestfailed', (r) => {
    // The screen's push is cut when the page is left: not a failure.
    if (r.url().includes('/live') && r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`${current}: request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
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

// The page is open before the rig confirms its kick: the time from the rig raising the incident
// (its advisory's raised_at, the rig's clock, this machine's) to the banner in the page.
async function checkBannerLatency(page, limitMs) {
  const seen = await page.evaluate(() => new Promise((resolve) => {
    const found = () => document.querySelector('.banner');
    if (found()) { resolve({ already: true, at: Date.now() }); return; }
    const watch = new MutationObserver(() => {
      if (found()) { watch.disconnect(); resolve({ already: false, at: Date.now() }); }
    });
    watch.observe(document.body, { childList: true, subtree: true });
    setTimeout(() => resolve({ timeout: true }), 150000);
  }));
  if (seen.timeout) { problems.push(`${current}: no banner within 150 s`); return; }
  if (seen.already) { problems.push(`${current}: the banner was there before the page could watch for it`); return; }
  const records = await page.evaluate(async () => (await fetch('/api/v1/advisories?limit=1000')).json());
  const raised = records.filter((r) => r.raised_at && r.reason === 'opened').map((r) => Date.parse(r.raised_at));
  if (!raised.length) { problems.push(`${current}: no opening announcement with raised_at`); return; }
  const ms = seen.at - Math.min(...raised);
  console.log(`   confirming packet to banner on the page: ${ms} ms (limit ${limitMs} ms)`);
  if (ms > limitMs || ms < -50) problems.push(`${current}: banner ${ms} ms after the rig raised the incident (limit ${limitMs} ms)`);
}

// An unanswered CRITICAL sounds; Silence stops the sound and leaves the banner.
async function checkSilence(page) {
  const sound = page.locator('#sound-on');
  if (await sound.isVisible()) await sound.click();
  const before = await page.evaluate(() => window.sairenScreen && window.sairenScreen.sounding);
  if (!before) problems.push(`${current}: an unanswered incident does not sound`);
  await page.click('#silence');
  await page.waitForTimeout(300);
  const after = await page.evaluate(() => ({ sounding: window.sairenScreen.sounding, banner: !!document.querySelector('.banner') }));
  if (after.sounding) problems.push(`${current}: still sounding after Silence`);
  if (!after.banner) problems.push(`${current}: Silence hid the banner`);
  console.log(`   alarm sounding ${before}, after Silence ${after.sounding}, banner kept ${after.banner}`);
}

// Silenced at one level, an incident sounds again when it rises to a higher one. Run on a page
// with no incident (a stale feed), just after a push, so the next (2 s later) does not interfere.
async function checkEscalationResounds(page) {
  await page.waitForFunction(() => window.sairenScreen && window.sairenScreen.updates >= 1, null, { timeout: 6000 });
  const seen = await page.evaluate(async () => {
    const start = window.sairenScreen.updates;
    await new Promise((r) => { const t = setInterval(() => { if (window.sairenScreen.updates > start) { clearInterval(t); r(); } }, 20); });
    const pause = () => new Promise((r) => setTimeout(r, 120));
    const sound = document.getElementById('sound');
    sound.dataset.incidents = 'RIG-X-1-0:high';
    document.body.click(); await pause();
    const high = window.sairenScreen.sounding;
    document.getElementById('silence').click(); await pause();
    const silenced = window.sairenScreen.sounding;
    sound.dataset.incidents = 'RIG-X-1-0:critical';
    document.body.click(); await pause();
    const escalated = window.sairenScreen.sounding;
    sessionStorage.removeItem('sairen-silenced');
    return { high, silenced, escalated };
  });
  console.log(`   alarm: HIGH sounds ${seen.high}, silenced ${!seen.silenced}, back at CRITICAL ${seen.escalated}`);
  if (!(seen.high && !seen.silenced && seen.escalated)) problems.push(`${current}: silence and escalation ${JSON.stringify(seen)}`);
}

// The page's numbers are pushed while it is open (two updates within 6 s).
async function checkPushed(page) {
  try {
    await page.waitForFunction(() => window.sairenScreen && window.sairenScreen.updates >= 2, null, { timeout: 6000 });
    console.log('   numbers pushed live');
  } catch (_) {
    problems.push(`${current}: no pushed update in 6 s`);
  }
}

// WCAG 2.1 contrast of every element matching the selectors against the background it sits on.
async function checkContrast(page, selectors) {
  const found = await page.evaluate((sels) => {
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const sel of sels) {
      for (const el of document.querySelectorAll(sel)) {
        const fg = lum(rgb(getComputedStyle(el).color));
        const bg = lum(background(el));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        out.push({ sel, text: el.innerText.slice(0, 40), ratio });
      }
    }
    return out;
  }, selectors);
  if (!found.length) problems.push(`${current}: nothing matched ${selectors.join(', ')} for the contrast check`);
  for (const f of found) {
    if (f.ratio < 4.5) problems.push(`${current}: contrast ${f.ratio.toFixed(2)}:1 under 4.5:1 for ${f.sel} "${f.text}"`);
  }
  const worst = Math.min(...found.map((f) => f.ratio));
  console.log(`   contrast of ${found.length} risk-coloured texts: worst ${worst.toFixed(2)}:1`);
}

for (const site of plan.sites) {
  const page = await session(site.origin, site.http_credentials);
  if (site.login) {
    current = `${site.name} sign-in`;
    await page.goto(site.origin + site.login.path);
    if (site.login.user) await page.fill('#user', site.login.user);
    await page.fill('#password', site.login.password);
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
    if (p.banner_within_ms) await checkBannerLatency(page, p.banner_within_ms);
    if (p.silence) await checkSilence(page);
    if (p.pushed) await checkPushed(page);
    if (p.escalation_resounds) await checkEscalationResounds(page);
    if (p.contrast) await checkContrast(page, p.contrast);
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
      if (p.first_screen) {
        // What must never be below the fold (an active incident's banner) starts inside it.
        const top = await page.evaluate((sel) => {
          const el = document.querySelector(sel);
          return el ? el.getBoundingClientRect().top : null;
        }, p.first_screen);
        if (top === null) problems.push(`${current}: no ${p.first_screen} on the page`);
        else if (top < 0 || top > height - 120) problems.push(`${current}: ${p.first_screen} starts at y = ${top} at ${width}×${height}, not inside the first screen`);
        else console.log(`   ${p.first_screen} at y = ${Math.round(top)} of ${height} at ${width} px`);
      }
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
