// A coordinator's session in the console, in a real browser: sign in, see
// the inbox, acknowledge a task, open its case; a wrong password is refused.
// Every page is checked with axe-core and saved as a screenshot.
//   node web/console_flow.mjs BASE_URL EMAIL PASSWORD ARTEFACTS_DIR
import { axeViolations, launch, newPage } from './browser.mjs';

const [base, email, password, artefacts] = process.argv.slice(2);
if (!artefacts) {
  console.error('usage: node console_flow.mjs BASE_URL EMAIL PASSWORD ARTEFACTS_DIR');
  process.exit(2);
}
let failures = 0;
function expect(ok, what) {
  if (!ok) {
    console.error(`FAILED: ${what}`);
    failures++;
  }
}
async function check(page, name) {
  await page.screenshot({ path: `${artefacts}/console-${name}.png`, fullPage: true });
  failures += await axeViolations(page, name);
}

const browser = await launch();
try {
  const page = await newPage(browser);

  // A wrong password: the form again, saying why.
  await page.goto(`${base}/sign-in`, { waitUntil: 'load' });
  await check(page, 'sign-in');
  await page.type('#email', email);
  await page.type('#password', 'not-the-password');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  expect(await page.$('.govuk-error-summary'), 'a wrong password shows an error summary');
  await check(page, 'sign-in-refused');

  // Signed in: the partner's inbox.
  await page.type('#email', email);
  await page.type('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  expect(page.url().endsWith('/tasks'), `signed in, at the tasks (${page.url()})`);
  const heading = await page.$eval('h1', (h) => h.textContent);
  expect(heading.startsWith('Tasks for '), `the inbox heading (${heading})`);
  const rows = await page.$$('tbody tr');
  expect(rows.length > 0, 'the inbox lists tasks');
  await check(page, 'inbox');

  // Acknowledge the first open task.
  const button = await page.$('button[formaction$="/acknowledge"]');
  expect(button, 'an open task can be acknowledged');
  if (button) {
    await Promise.all([page.waitForNavigation(), button.click()]);
    const banner = await page.$eval('.govuk-notification-banner__content', (b) => b.textContent).catch(() => '');
    expect(banner.includes('acknowledge'), `the acknowledgement is confirmed (${banner})`);
    await check(page, 'acknowledged');
  }

  // Its case, as the partner may see it.
  const link = await page.$('tbody a[href^="/cases/"]');
  expect(link, 'a task links to its case');
  if (link) {
    await Promise.all([page.waitForNavigation(), link.click()]);
    const h1 = await page.$eval('h1', (h) => h.textContent);
    expect(page.url().includes('/cases/') && h1.length > 0, `the case page (${page.url()})`);
    expect((await page.$$('tbody tr')).length > 0, 'the case page shows its timeline');
    await check(page, 'case');
  }

  // Another partner's case, by its URL: not found.
  const response = await page.goto(`${base}/cases/no-such-case`, { waitUntil: 'load' });
  expect(response.status() === 404, `an unknown case is 404 (${response.status()})`);
} finally {
  await browser.close();
}
console.log(failures === 0 ? 'console flow: all checks passed' : `console flow: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
