// Opens a page in Debian's chromium (headless, driven by puppeteer-core),
// saves a full-page screenshot, checks that what the page must show is there,
// and runs axe-core for WCAG 2.1 A and AA. Exits 1 on a violation or a missing
// element, 2 on bad usage.
//
//   node web/check_page.mjs URL SCREENSHOT.png [CSS-SELECTOR ...]
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const [url, screenshot, ...selectors] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node check_page.mjs URL SCREENSHOT.png [CSS-SELECTOR ...]');
  process.exit(2);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  const response = await page.goto(url, { waitUntil: 'load' });
  if (response && !response.ok() && !url.startsWith('file:')) {
    console.error(`${url}: HTTP ${response.status()}`);
    failed = true;
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  for (const s of selectors) {
    if (!(await page.$(s))) {
      console.error(`missing: ${s}`);
      failed = true;
    }
  }
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  for (const v of result.violations) {
    failed = true;
    console.error(`axe ${v.id} (${v.impact}): ${v.help}`);
    for (const n of v.nodes.slice(0, 5)) console.error(`  ${n.target.join(' ')}: ${n.failureSummary}`);
  }
  console.log(`${url}: ${result.passes.length} axe rules passed, ${result.violations.length} violated; ` +
              `screenshot ${screenshot}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
