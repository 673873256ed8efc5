// A coordinator's session in the console, in a real browser: sign in, see
// the inbox, acknowledge a task, open its case; a wrong password is refused;
// then a manager reads the partnership's report, which the coordinator cannot.
// Every page is checked with axe-core and saved as a screenshot.
//   node web/console_flow.mjs BASE_URL EMAIL PASSWORD ARTEFACTS_DIR MANAGER_EMAIL MANAGER_PASSWORD
import { axeViolations, launch, newPage } from './browser.mjs';

const [base, email, password, artefacts, managerEmail, managerPassword] = process.argv.slice(2);
if (!managerPassword) {
  console.error('usage: node console_flow.mjs BASE_URL EMAIL PASSWORD ARTEFACTS_DIR MANAGER_EMAIL MANAGER_PASSWORD');
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

  // Another partner's case, by its URL: not found; nor is the report.
  const response = await page.goto(`${base}/cases/no-such-case`, { waitUntil: 'load' });
  expect(response.status() === 404, `an unknown case is 404 (${response.status()})`);
  const report = await page.goto(`${base}/report`, { waitUntil: 'load' });
  expect(report.status() === 404, `a coordinator has no report (${report.status()})`);

  // Signed out, then in as the manager: the report with its charts.
  await page.goto(`${base}/tasks`, { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation(), page.click('form[action="/sign-out"] button')]);
  expect(page.url().endsWith('/sign-in'), `signed out (${page.url()})`);
  await page.type('#email', managerEmail);
  await page.type('#password', managerPassword);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await Promise.all([page.waitForNavigation(), page.click('a[href="/report"]')]);
  expect(await page.$('svg[role="img"][aria-label="Cases opened by strategy priority"]'),
         'the report shows its charts');
  await check(page, 'report');
} finally {
  await browser.close();
}
console.log(failures === 0 ? 'console flow: all checks passed' : `console flow: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
