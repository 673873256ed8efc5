// Opens a page in Debian's chromium (headless, driven by puppeteer-core),
// saves a full-page screenshot, checks that what the page must show is there,
// and runs axe-core for WCAG 2.1 A and AA. Exits 1 on a violation or a missing
// element, 2 on bad usage.
//
//   node web/check_page.mjs URL SCREENSHOT.png [CSS-SELECTOR ...]
import { axeViolations, launch, newPage } from './browser.mjs';

const [url, screenshot, ...selectors] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node check_page.mjs URL SCREENSHOT.png [CSS-SELECTOR ...]');
  process.exit(2);
}

const browser = await launch();
let failed = false;
try {
  const page = await newPage(browser);
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
  if ((await axeViolations(page, url)) > 0) failed = true;
  console.log(`screenshot ${screenshot}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
