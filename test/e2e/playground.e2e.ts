import { expect } from 'chai';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { importContacts, importOdsExtract } from '../../bot/directory/imports.js';
import { openLowdbDirectory } from '../../bot/storage/lowdbDirectory.js';

// Built by `npm run test:e2e` before mocha starts: the same launcher a developer uses with `npm run playground`.
const playgroundTool = fileURLToPath(new URL('../../dist/bot/tools/playground.js', import.meta.url));
const chromeBin = process.env['CHROME_BIN'] ?? '/usr/bin/chromium';
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);
const london = 'Europe/London';

/** "GMT" or "BST": what the UK calls its time at that moment, as the platform's time zone data has it. */
function ukZoneName(at: DateTime): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: london, timeZoneName: 'short' }).formatToParts(at.toJSDate());
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? '';
}

// The launcher switches off the playground's IMDS probe; this namespace (loopback only) guarantees nothing leaves even if that fails.
// Bot, playground and Chromium share it; --pid --kill-child and setpriv's parent-death signal mean no child outlives mocha.
const isolate = ['--pdeathsig', 'KILL', 'unshare', '--net', '--map-root-user', '--pid', '--fork', '--kill-child'];
const bringUpLoopback = 'PATH="$PATH:/usr/sbin:/sbin"; ip link set lo up && exec "$@"';

type Stack = ChildProcessByStdio<null, Readable, Readable>;

/** Distinct free loopback ports, held open together so the kernel cannot hand out the same one twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Resolves with the playground URL from the launcher's ready line; rejects with its output if it exits first. */
function playgroundReady(stack: Stack, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    stack.stdout.on('data', () => {
      const match = /Agents Playground ready: open (http:\/\/localhost:\d+) /.exec(output());
      if (match?.[1]) resolve(match[1]);
    });
    stack.once('close', (code) =>
      reject(new Error(
        `The bot and playground stopped before they were ready (exit ${code}). This test runs them in a loopback-only ` +
          `network namespace (unshare and nsenter from util-linux, ip from iproute2); their output:\n${output()}`,
      )),
    );
  });
}

/** Stops the launcher (which stops the bot and the playground); kills the whole namespace if it does not stop in time. */
async function stopStack(stack: Stack): Promise<void> {
  if (stack.exitCode !== null || stack.signalCode !== null || stack.pid === undefined) return;
  const closed = new Promise((resolve) => stack.once('close', resolve));
  const group = -stack.pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(group, name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  // unshare ignores SIGTERM; SIGKILL on it makes --kill-child take down the PID namespace and everything in it.
  const timer = setTimeout(() => signal('SIGKILL'), 20_000);
  await closed;
  clearTimeout(timer);
}

describe('Smartcard Assistant in the Microsoft 365 Agents Playground (browser)', () => {
  let workDir: string | undefined;
  let profileDir: string | undefined;
  let stack: Stack | undefined;
  let stackOutput = '';
  let context: BrowserContext | undefined;
  let page: Page;
  let playgroundUrl: string;
  let ready = false;
  const blockedHosts = new Set<string>();

  before(async () => {
    if (!existsSync(chromeBin)) throw new Error(`No Chromium at ${chromeBin}: apt-get install chromium, or set CHROME_BIN.`);
    const work = mkdtempSync(path.join(os.tmpdir(), 'sa-e2e-'));
    workDir = work;
    profileDir = mkdtempSync(path.join(os.tmpdir(), 'sa-e2e-profile-'));
    const [botPort, playgroundPort] = await freePorts(2);
    await seedDirectory(path.join(work, 'data'));
    // The playground's own user: an RA admin, so the RA team's journeys (announcing training) can be driven too.
    writeFileSync(path.join(work, '.m365agentsplayground.yml'), playgroundConfig());
    stack = spawn('setpriv', [...isolate, 'sh', '-c', bringUpLoopback, 'sh', process.execPath, playgroundTool], {
      // A scratch cwd: no developer .env or .m365agentsplayground.yml can change what is tested.
      cwd: work,
      env: {
        ...process.env,
        PORT: String(botPort),
        PLAYGROUND_PORT: String(playgroundPort),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(work, 'data'),
        M365_AGENTS_PLAYGROUND_LOGFILE: path.join(work, 'playground.log'),
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: path.join(work, '.m365agentsplayground.yml'),
        RA_ADMINS: playgroundUser.aadObjectId,
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
        // Blank, not absent, so nothing inherited turns on Bot Framework auth, which the playground cannot satisfy here.
        MicrosoftAppId: '',
        MicrosoftAppPassword: '',
        MicrosoftAppTenantId: '',
        MicrosoftAppType: '',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => (stackOutput += chunk.toString());
    stack.stdout.on('data', collect);
    stack.stderr.on('data', collect);
    playgroundUrl = await playgroundReady(stack, () => stackOutput);

    // Chromium joins the same namespace, so "localhost" in the browser is the playground's loopback.
    const chromeInNamespace = path.join(work, 'chromium-in-namespace');
    const quotedChrome = `'${chromeBin.replaceAll("'", `'\\''`)}'`;
    writeFileSync(
      chromeInNamespace,
      `#!/bin/sh\nexec nsenter --target ${stack.pid} --user --net --preserve-credentials -- ${quotedChrome} "$@"\n`,
      { mode: 0o755 },
    );
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: chromeInNamespace,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
      ],
    });
    // Belt and braces inside the namespace: the page never even asks for the CDN fonts and scripts.
    await context.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (loopbackHosts.has(hostname)) return route.continue();
      blockedHosts.add(hostname);
      return route.abort('blockedbyclient');
    });
    page = context.pages()[0] ?? (await context.newPage());
    ready = true;
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !context) return;
    const slug = (this.currentTest.title || 'test').replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    const file = path.join(os.tmpdir(), `sa-e2e-failure-${slug}-${Date.now()}.png`);
    await page.screenshot({ path: file, fullPage: true }).then(
      () => console.log(`    screenshot of the failure: ${file}`),
      (error: unknown) => console.log(`    no screenshot: ${String(error)}`),
    );
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((test) => test.state === 'failed') ?? false;
    await context?.close().catch(() => undefined);
    if (stack) await stopStack(stack);
    if (blockedHosts.size > 0) console.log(`    blocked non-loopback requests from the page to: ${[...blockedHosts].sort().join(', ')}`);
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    if (!workDir) return;
    if (failed || !ready) console.log(`    bot and playground output:\n${stackOutput}\n    bot data and playground.log kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  });

  /**
   * Opens the playground once; later scenarios carry on in the same chat, as a person would. The bot welcomes a
   * conversation once, and a reload keeps the playground's conversation id, so a reload would show an empty chat.
   */
  async function openPlayground(): Promise<Locator> {
    const welcome = cards("Hello, I'm Smartcard Assistant").first();
    if (page.url() === 'about:blank') await page.goto(playgroundUrl);
    await welcome.waitFor();
    return welcome;
  }

  function cards(text: string): Locator {
    return page.locator('.ac-adaptiveCard').filter({ hasText: text });
  }

  /** Does `action` and returns the card containing `text` that arrives after it, never an older one. */
  async function replyCard(text: string, action: () => Promise<void>): Promise<Locator> {
    const seen = await cards(text).count();
    await action();
    const card = cards(text).nth(seen);
    await card.waitFor();
    return card;
  }

  function button(card: Locator, title: string): Locator {
    return card.getByRole('button', { name: title, exact: true });
  }

  async function type(text: string): Promise<void> {
    const compose = page.locator('[role="textbox"][data-lexical-editor="true"]');
    await compose.fill(text);
    await compose.press('Enter');
  }

  function messages(text: string): Locator {
    return page.locator('div:has(> [aria-label="Message header"])').filter({ hasText: text });
  }

  /** Like `replyCard`, for a plain message. */
  async function replyMessage(text: string, action: () => Promise<void>): Promise<Locator> {
    const seen = await messages(text).count();
    await action();
    const message = messages(text).nth(seen);
    await message.waitFor();
    return message;
  }

  /** Picks an option of a card's compact choice (a Fluent combobox). */
  async function choose(card: Locator, label: RegExp, option: string): Promise<void> {
    await card.getByRole('combobox', { name: label }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  }

  /** Types a date into a card's date picker, which reads typed dates the US way ("December 12, 2026") when it loses focus. */
  async function typeDate(input: Locator, date: DateTime): Promise<void> {
    await input.fill(date.setLocale('en-US').toFormat('LLLL d, yyyy'));
    await input.blur();
  }

  it('when I open the playground, the welcome card appears with its buttons', async () => {
    const welcome = await openPlayground();
    await button(welcome, 'My RA team').waitFor();
    await button(welcome, 'About and privacy').waitFor();
    // The playground logs the bot's HTTP answer only after the turn's replies were posted, so no welcome is still on its way.
    await page.getByText('conversationUpdate 200', { exact: true }).waitFor();
    expect(await page.locator('.ac-adaptiveCard').count(), 'one welcome, not one per activity the page load sends').to.equal(1);
  });

  it('when I type "help", I get what it can do, and pressing "About and privacy" shows where its answers come from', async () => {
    await openPlayground();
    const menu = await replyCard('What I can do', () => type('help'));
    await button(menu, 'My RA team').waitFor();
    const about = await replyCard('About Smartcard Assistant', () => button(menu, 'About and privacy').click());
    expect(await about.innerText()).to.include('Where my answers come from');
  });

  it('when I press "My RA team", then "Not one organisation", pick "GP practice" and type "dorset", I see the Dorset RA team and its phone number', async () => {
    const welcome = await openPlayground();
    const which = await replyCard('Which organisation do you work for?', () => button(welcome, 'My RA team').click());
    const kind = await replyCard('Where do you work?', () => button(which, 'Not one organisation').click());
    for (const choice of ['Community pharmacy', 'Locum GP', 'ICB or CCG', 'Somewhere else']) await button(kind, choice).waitFor();
    const area = await replyCard('Which area is your workplace in?', () => button(kind, 'GP practice').click());
    await button(area, 'Dorset').waitFor();
    const team = await replyCard('NHS Dorset Smartcard Support Team', () => type('dorset'));
    const text = await team.innerText();
    expect(text).to.include("Thanks, I'll remember where you work. Your RA team:");
    expect(text).to.include('01202 541604');
  });

  it('when I ask who the sponsor for an imported pharmacy is, I see its Sponsors and its RA team, and can say it is where I work', async () => {
    await openPlayground();
    const card = await replyCard('Sponsors at SEAFRONT PHARMACY', () => type('who is the sponsor for FA123?'));
    const text = await card.innerText();
    expect(text).to.include('Alex Example');
    expect(text).to.include('0300 5610429');
    await button(card, 'This is where I work').click();
    await page.getByText("I'll use SEAFRONT PHARMACY (FICTIONAL) (FA123) as your organisation").first().waitFor();
  });

  it('when I don\'t know my ODS code, I can find my practice by its name', async () => {
    await openPlayground();
    const ask = await replyCard('Which organisation do you work for?', () => type("I don't know my ODS code"));
    expect(await ask.innerText()).to.include('postcode');
    const found = await replyCard('HARBOUR VIEW SURGERY', () => type('harbour view surgery'));
    expect(await found.innerText()).to.include("I'll remember this as your organisation");
  });

  it('when I report a stolen card with the form, I get a reference and what happens next', async () => {
    await openPlayground();
    const forms = await replyCard('Raise a request', () => type('raise a request'));
    const form = await replyCard('What happened to the card?', () => button(forms, 'Report a lost, stolen or damaged card').click());
    // The playground draws cards with Fluent UI: a compact choice is a combobox, a date a picker that takes typing.
    await form.getByRole('combobox').first().click();
    await page.getByRole('option', { name: 'Stolen' }).click();
    await form.getByRole('textbox', { name: /Card holder's full name/ }).fill('Sam Requester');
    await form.getByRole('textbox', { name: /ODS code of the organisation they work at/ }).fill('FA123');
    const date = form.getByPlaceholder('Select a date...');
    await date.click();
    // Today: the picker opens on the current month, and a loss can be reported the day it happens.
    const today = new Date();
    const label = `${today.getDate()}, ${today.toLocaleString('en-GB', { month: 'long' })}, ${today.getFullYear()}`;
    await page.getByRole('button', { name: new RegExp(`^${label}`) }).click();
    await form.getByRole('radio', { name: 'Yes' }).check();
    const ack = await replyCard('Sent: RA-', () => button(form, 'Send to the RA team').click());
    const text = await ack.innerText();
    expect(text).to.match(/Sent: RA-\d{6}/);
    expect(text).to.include('Marked urgent.');
    expect(text).to.include('0300 5610429');
  });

  it('when I type a question in my own words, I get a sourced answer, and pressing "Helpful" thanks me', async () => {
    await openPlayground();
    const answer = await replyCard('12-digit', () => type('where do I find the UUID on my smartcard'));
    expect(await answer.innerText()).to.match(/From .+, reviewed /);
    await button(answer, 'Helpful').click();
    await page.getByText('Thanks for letting me know.').first().waitFor();
  });

  it('when I ask something vague, I am asked which I meant, and choosing one shows that answer', async () => {
    await openPlayground();
    const choices = await replyCard('Did you mean one of these?', () => type("it's not working"));
    await button(choices, 'None of these').waitFor();
    const title = (await choices.getByRole('button').first().innerText()).trim();
    const answer = await replyCard('reviewed', () => choices.getByRole('button').first().click());
    expect(await answer.innerText()).to.include(title);
  });

  it('when I ask "can I unlock my card myself?" and answer by typing and clicking, I end at self-service unlock', async () => {
    await openPlayground();
    let step = await replyCard('Do you have your smartcard with you?', () => type('can I unlock my card myself?'));
    step = await replyCard('Does your card reader work?', () => button(step, 'Yes, I have it').click());
    step = await replyCard('Have your smartcard', () => type('yes it works'));
    step = await replyCard('allow-listed email address', () => button(step, "No, they're still in date").click());
    const leaf = await replyCard('digital.nhs.uk/unlock', () => type('yes'));
    expect(await leaf.innerText()).to.include('Did that solve it?');
    await button(leaf, 'Yes, sorted').click();
    await page.getByText("Good, glad that's sorted.").first().waitFor();
  });

  it('when I, an RA admin, fill in "new training session" and press Preview, I see it in UK time; Announce sends it to me and reports delivery; then I book it from "training dates" and see it in "my bookings"', async () => {
    await openPlayground();
    const form = await replyCard('New training session', () => type('new training session'));
    // Three weeks ahead, booking closing a week before, so the journey works whatever day it runs.
    const today = DateTime.now().setZone(london).startOf('day');
    const day = today.plus({ weeks: 3 });
    const startsAt = day.set({ hour: 10, minute: 0 });
    await choose(form, /^Course/, 'Registration Agent Advanced');
    await choose(form, /^Where/, 'Poole, Canford House');
    await typeDate(form.getByLabel(/^Date/), day);
    // The time picker takes typing too, and shows it in the browser's 12-hour form ("10:00 AM").
    const time = form.getByLabel(/^Start time/);
    await time.fill('10:00');
    await time.blur();
    await form.getByLabel(/^How long/).fill('90');
    await form.getByLabel(/^Places/).fill('12');
    await typeDate(form.getByLabel(/^Last day to book/), today.plus({ weeks: 2 }));
    await choose(form, /^Who to tell/, 'Everyone who uses the assistant');

    const preview = await replyCard('Preview: nothing has been sent yet.', () => button(form, 'Preview').click());
    const when = `${startsAt.toFormat('cccc d LLLL yyyy')}, 10:00 (${ukZoneName(startsAt)})`;
    const previewText = await preview.innerText();
    expect(previewText).to.include('Training: Registration Agent Advanced');
    expect(previewText).to.include(when);
    expect(previewText).to.include(`1 hour 30 minutes, until 11:30 (${ukZoneName(startsAt)})`);
    expect(previewText).to.include('Canford House');
    expect(previewText).to.include('12 of 12');
    expect(previewText).to.include(today.plus({ weeks: 2 }).toFormat('cccc d LLLL yyyy'));
    // This chat is the only one the bot has seen, so the audience is the playground's user.
    expect(previewText).to.include('It will go to 1 person');
    await button(preview, 'Discard').waitFor();

    // Announce: the reply, the announcement itself (the playground's user is its audience, so it arrives here, sent
    // through the playground's connector) and the delivery report, posted at once and brought up to date in place.
    const reports = await cards('Delivery report').count();
    const ack = await replyMessage('Announced TS-', () => button(preview, 'Announce').click());
    const id = /Announced (TS-[A-Z0-9]+)/.exec(await ack.innerText())?.[1] ?? '';
    expect(await ack.innerText()).to.include(`it is going to 1 person, a few a second. I'll post a delivery report here as it goes. It is listed under training dates for anyone to book. Say attendees ${id} to see who is coming.`);
    const announcement = cards(`Reference ${id}.`).first();
    await announcement.waitFor();
    const announced = await announcement.innerText();
    expect(announced).to.include('Training: Registration Agent Advanced');
    expect(announced).to.include(when);
    expect(announced).not.to.include('Preview');
    await button(announcement, 'Book a place').waitFor();
    const report = cards('Delivery report').nth(reports);
    await report.getByText('Finished: sent to 1 of 1', { exact: true }).waitFor();
    const reportText = await report.innerText();
    expect(reportText).to.include(`Training: Registration Agent Advanced, ${startsAt.toFormat('d LLL')}`);
    expect(reportText).to.match(/Sent\s+1\s+Failed\s+0\s+No longer reachable\s+0\s+Still to send\s+0/);
    expect(await cards('Delivery report').count(), 'one report card, updated in place').to.equal(reports + 1);

    // Its intro, not its heading: the announcement and the menus mention "training dates" too.
    const list = await replyCard('Times are UK time. Anyone can book any session', () => type('training dates'));
    const listed = await list.innerText();
    expect(listed).to.include(`Registration Agent Advanced (${id})`);
    expect(listed).to.include(when);
    const booked = await replyCard('Booked: Registration Agent Advanced', () => button(list, 'Book a place').click());
    const bookedText = await booked.innerText();
    expect(bookedText).to.include('You have a place.');
    expect(bookedText).to.include('11 of 12');
    await button(booked, 'Cancel my booking').waitFor();

    const mine = await replyCard('Your training bookings', () => type('my bookings'));
    const mineText = await mine.innerText();
    expect(mineText).to.include(`Registration Agent Advanced (${id})`);
    expect(mineText).to.include(when);
    expect(mineText).to.include('You have a place.');
    await button(mine, 'Cancel my booking').waitFor();
  });

  it('when I say "certificate reminders" and enter the date my certificates expire, I am told the days I will be reminded', async () => {
    await openPlayground();
    const ask = await replyCard('Certificate renewal reminders', () => type('certificate reminders'));
    // Far enough ahead that every reminder is still to come.
    const expires = DateTime.now().setZone(london).startOf('day').plus({ days: 200 });
    await typeDate(ask.getByLabel(/^My certificates expire on/), expires);
    const saved = await replyMessage('Saved: your certificates expire on', () => button(ask, 'Remind me').click());
    const text = await saved.innerText();
    const long = (date: DateTime) => date.toFormat('cccc d LLLL yyyy');
    expect(text).to.include(`Saved: your certificates expire on ${long(expires)}.`);
    expect(text).to.include(
      `I'll remind you here at 9am on ${long(expires.minus({ days: 90 }))} (90 days before), ${long(expires.minus({ days: 30 }))} (30 days before) ` +
        `and ${long(expires.minus({ days: 7 }))} (7 days before), with how to renew them yourself.`,
    );
    expect(text).to.include(`If they run out anyway, I'll tell you what to do on ${long(expires.plus({ days: 1 }))}.`);
    expect(text).to.include('Say stop renewal reminders to cancel them.');
  });
});

/**
 * Who the playground says is typing. Its built-in user's object id (…-0000000000020) is one digit too long to be a GUID,
 * which RA_ADMINS rightly refuses, so the playground is given a config file whose user has a well-formed one.
 */
const playgroundUser = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-000000000020' } as const;

/** The playground's built-in config (its `defaultConfigFileContent`, version 0.1.1), with `playgroundUser` as the current user. */
function playgroundConfig(): string {
  const others = ['Megan Bowen', 'Adele Vance', 'Isaiah Langer', 'Patti Fernandez', 'Lynne Robbins'];
  // YAML lines of one user, each starting with `first` then `rest` (list items start "- ").
  const user = (id: string, name: string, aadObjectId: string, first: string, rest: string) => {
    const [givenName = '', surname = ''] = name.split(' ');
    const email = `${givenName.toLowerCase()}${surname.charAt(0).toLowerCase()}@example.com`;
    return [`id: ${id}`, `name: ${name}`, `userPrincipleName: ${email}`, `aadObjectId: ${aadObjectId}`, `givenName: ${givenName}`, `surname: ${surname}`, `email: ${email}`]
      .map((line, i) => `${i === 0 ? first : rest}${line}`)
      .join('\n');
  };
  return `version: "0.1.1"
tenantId: 00000000-0000-0000-0000-0000000000001
bot:
  id: 00000000-0000-0000-0000-00000000000011
  name: Test Bot
currentUser:
${user(playgroundUser.id, playgroundUser.name, playgroundUser.aadObjectId, '  ', '  ')}
users:
${others.map((name, i) => user(`user-id-${i + 1}`, name, `00000000-0000-0000-0000-00000000002${i + 1}`, '  - ', '    ')).join('\n')}
personalChat:
  id: ${randomUUID()}
groupChat:
  id: ${randomUUID()}
  name: Group Chat
team:
  id: team-id
  name: My Team
  aadGroupId: 00000000-0000-0000-0000-000000000031
  channels:
    - id: channel-announcements-id
      name: Announcements
`;
}

/** The fictional fixture organisations and contacts, imported the way an RA team would, before the bot starts. */
async function seedDirectory(dataDir: string): Promise<void> {
  const fixtures = fileURLToPath(new URL('../fixtures/directory/', import.meta.url));
  const stores = await openLowdbDirectory(dataDir);
  const now = new Date();
  for (const file of ['epraccur-sample.csv', 'edispensary-sample.csv']) {
    const report = await importOdsExtract(readFileSync(path.join(fixtures, file), 'utf8'), stores.organisations, { dryRun: false, now });
    if (!report.ok) throw new Error(`fixture ${file} did not import`);
  }
  const contacts = await importContacts(readFileSync(path.join(fixtures, 'contacts-sample.csv'), 'utf8'), stores, { dryRun: false, now });
  if (!contacts.ok) throw new Error('fixture contacts did not import');
  await stores.organisations.flush();
  await stores.contacts.flush();
}
