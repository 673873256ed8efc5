// A coordinator's session in the console, in a real browser: sign in, see
// the inbox, acknowledge a task, open its case; a wrong password is refused;
// then a manager reads the partnership's report, which the coordinator cannot;
// then a panel chair opens a meeting's agenda, records who attended and a
// case's outcome, and sees the outcome recorded once the engine applied it.
// Every page is checked with axe-core and saved as a screenshot.
//   node web/console_flow.mjs BASE_URL EMAIL PASSWORD ARTEFACTS_DIR MANAGER_EMAIL MANAGER_PASSWORD \
//        CHAIR_EMAIL CHAIR_PASSWORD
import { axeViolations, launch, newPage } from './browser.mjs';

const [base, email, password, artefacts, managerEmail, managerPassword, chairEmail, chairPassword] =
  process.argv.slice(2);
if (!chairPassword) {
  console.error('usage: node console_flow.mjs BASE_URL EMAIL PASSWORD ARTEFACTS_DIR MANAGER_EMAIL ' +
                'MANAGER_PASSWORD CHAIR_EMAIL CHAIR_PASSWORD');
  process.exit(2);
}
let failures = 0;
function expect(ok, what) {
  if (!ok) {
    console.error(`FAILED: ${what}`);
    failures++;
  }
}
// The text of the page's success banner; empty when it has none.
function bannerText(page) {
  return page.$eval('.govuk-notification-banner__content', (b) => b.textContent).catch(() => '');
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
    const banner = await bannerText(page);
    expect(banner.includes('acknowledge'), `the acknowledgement is confirmed (${banner})`);
    await check(page, 'acknowledged');
  }

  // A task's own page: claim it for oneself, with a note.
  const taskLink = await page.$eval('tbody a[href^="/tasks/"]', (a) => a.getAttribute('href')).catch(() => null);
  expect(taskLink, 'a task links to its own page');
  if (taskLink) {
    await page.goto(`${base}${taskLink}`, { waitUntil: 'load' });
    await check(page, 'task');
    await page.type('#note', 'I will take this one');
    const claim = await page.$('button[formaction$="/claim"]');
    expect(claim, 'a task can be claimed');
    if (claim) {
      await Promise.all([page.waitForNavigation(), claim.click()]);
      const banner = await bannerText(page);
      expect(banner.includes('claim'), `the claim is confirmed (${banner})`);
    }
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
    await page.type('#note', 'Tenancy visit booked for Tuesday');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/note"] button')]);
    const banner = await bannerText(page);
    expect(banner.includes('Note sent'), `the note is confirmed (${banner})`);
  }

  // Find it again by its reference.
  if (link) {
    const caseId = new URL(page.url()).pathname.split('/').pop();
    await page.goto(`${base}/cases`, { waitUntil: 'load' });
    await page.type('#q', caseId);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/cases"] button')]);
    expect(await page.$(`tbody a[href="/cases/${caseId}"]`), `the search finds ${caseId}`);
    await check(page, 'find-a-case');
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
  // The manager's partner is not shown victims or addresses: named withheld.
  const reportHtml = await page.content();
  expect(!/person:V-/.test(reportHtml) && reportHtml.includes('withheld'),
         'the report names no victim the manager may not see');
  await check(page, 'report');

  // The chair: the panels, a meeting with cases, attendance and an outcome.
  await page.goto(`${base}/tasks`, { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation(), page.click('form[action="/sign-out"] button')]);
  await page.type('#email', chairEmail);
  await page.type('#password', chairPassword);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await Promise.all([page.waitForNavigation(), page.click('a[href="/panels"]')]);
  await check(page, 'panels');
  // The first meeting with cases that has not been held.
  const meeting = await page.$$eval('tbody tr', (trs) => {
    for (const tr of trs) {
      const cells = tr.querySelectorAll('td');
      if (Number(cells[1].textContent) > 0 && cells[3].textContent !== 'held') {
        return cells[0].querySelector('a').getAttribute('href');
      }
    }
    return null;
  });
  expect(meeting, 'a meeting with cases to hear');
  if (meeting) {
    await page.goto(`${base}${meeting}`, { waitUntil: 'load' });
    const cards = await page.$$('.govuk-summary-card');
    expect(cards.length > 0, 'the agenda lists its cases');
    expect((await page.content()).includes('Research'), 'the agenda shows the research status');
    await check(page, 'meeting');
    for (const box of await page.$$('input[name="attendees"]')) {
      if (!(await box.evaluate((b) => b.checked))) await box.click();
    }
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/held"] button')]);
    let banner = await bannerText(page);
    expect(banner.includes('attendance'), `the attendance is confirmed (${banner})`);

    const outcome = await page.$eval('a[href*="/outcome/"]', (a) => a.getAttribute('href'));
    const caseId = outcome.split('/').pop();
    await page.goto(`${base}${outcome}`, { waitUntil: 'load' });
    await page.select('#to-1', 'housing');
    await page.type('#title-1', 'Fit locks and a door alarm at the victim\'s home');
    await page.$eval('#due-1', (d) => { d.value = '2027-01-15'; });
    await check(page, 'outcome-form');
    await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
    banner = await bannerText(page);
    expect(banner.includes(`outcome for ${caseId}`), `the outcome is confirmed (${banner})`);
    // The engine applies it: the agenda shows it recorded.
    let recorded = false;
    for (let i = 0; i < 50 && !recorded; i++) {
      await page.goto(`${base}${meeting}`, { waitUntil: 'load' });
      recorded = await page.$$eval('.govuk-summary-card', (cs, id) => cs.some((c) =>
        c.querySelector('h3').textContent.includes(id) && c.textContent.includes('Outcome') &&
        c.querySelector('.govuk-tag--green') !== null), caseId);
      if (!recorded) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recorded, `the outcome for ${caseId} is recorded on the agenda`);
    const held = await page.$eval('dl.govuk-summary-list', (d) => d.textContent);
    expect(held.includes('held with'), `the attendance is recorded (${held})`);
    await check(page, 'outcome-recorded');
  }
} finally {
  await browser.close();
}
console.log(failures === 0 ? 'console flow: all checks passed' : `console flow: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
