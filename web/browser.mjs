// What the browser tests share: Debian's chromium, headless, driven by
// puppeteer-core; and axe-core run on a page for WCAG 2.1 A and AA.
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);

export async function launch() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

// A page for the tests: axe-core is injected into it, which the console's
// Content-Security-Policy (no scripts at all) would refuse, so the test's own
// page lets it in.
export async function newPage(browser) {
  const page = await browser.newPage();
  await page.setBypassCSP(true);
  await page.setViewport({ width: 1200, height: 900 });
  return page;
}

// The violations axe-core finds on `page`, each printed; returns how many.
export async function axeViolations(page, name) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  for (const v of result.violations) {
    console.error(`${name}: axe ${v.id} (${v.impact}): ${v.help}`);
    for (const n of v.nodes.slice(0, 5)) console.error(`  ${n.target.join(' ')}: ${n.failureSummary}`);
  }
  console.log(`${name}: ${result.passes.length} axe rules passed, ${result.violations.length} violated`);
  return result.violations.length;
}
