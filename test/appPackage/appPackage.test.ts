import { expect } from 'chai';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { buildManifest, packageApp, packageValues, pngSize } from '../../bot/tools/packageApp.js';
import { Chat, readAll, testApp } from '../support/chat.js';

const appPackageDir = fileURLToPath(new URL('../../appPackage', import.meta.url));
const template: unknown = JSON.parse(readFileSync(path.join(appPackageDir, 'manifest.json'), 'utf8'));
const sample = {
  TEAMS_APP_ID: '0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f',
  BOT_ID: '11111111-2222-4333-8444-555555555555',
  BOT_DOMAIN: 'smartcard-assistant.example.org',
  APP_WEBSITE_URL: 'https://example.org/smartcards',
  APP_PRIVACY_URL: 'https://example.org/privacy',
  APP_TERMS_URL: 'https://example.org/terms',
};

interface CommandList {
  scopes: string[];
  commands: { title: string; description: string }[];
}
const commandLists = (manifest: Record<string, unknown>) => ((manifest['bots'] as { commandLists: CommandList[] }[])[0]?.commandLists ?? []);

describe('Teams app package', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sa-pkg-'));
  });
  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('when filled with real-looking ids, the manifest validates against the bundled Teams schema with no errors', async () => {
    const { manifest, missing } = buildManifest(template, sample);
    expect(missing).to.deep.equal([]);
    expect(JSON.stringify(manifest)).not.to.include('${{');
    expect(await AppManifestUtils.validateAgainstSchema(manifest as unknown as Parameters<typeof AppManifestUtils.validateAgainstSchema>[0])).to.deep.equal([]);
  });

  it('when a value is missing, its placeholder name is reported rather than left in the manifest silently', () => {
    const { missing } = buildManifest(template, { ...sample, BOT_DOMAIN: '', APP_TERMS_URL: '' });
    expect(missing.sort()).to.deep.equal(['APP_TERMS_URL', 'BOT_DOMAIN']);
  });

  it('the bot is offered in personal chats, teams and group chats with one command menu of at most 10 short commands', () => {
    const { manifest } = buildManifest(template, sample);
    const lists = commandLists(manifest);
    expect(lists).to.have.length(1);
    expect(lists[0]?.scopes.sort()).to.deep.equal(['groupChat', 'personal', 'team']);
    const commands = lists[0]?.commands ?? [];
    expect(commands.length).to.be.within(1, 10);
    for (const c of commands) expect(c.title.length, c.title).to.be.at.most(32);
  });

  it('every command in the menu, typed as it appears, gets a real answer (never the "didn\'t understand" reply)', async () => {
    const app = await testApp();
    for (const { title } of commandLists(buildManifest(template, sample).manifest)[0]?.commands ?? []) {
      const text = readAll(await new Chat(app, { conversationId: `cmd-${title}` }).say(title));
      expect(text, title).not.to.include("didn't understand");
      expect(text.length, title).to.be.greaterThan(20);
    }
  });

  it('the colour icon is 192x192 and the outline icon is 32x32', () => {
    expect(pngSize(readFileSync(path.join(appPackageDir, 'color.png')))).to.deep.equal({ width: 192, height: 192 });
    expect(pngSize(readFileSync(path.join(appPackageDir, 'outline.png')))).to.deep.equal({ width: 32, height: 32 });
  });

  it('every pixel of the outline icon is fully transparent or white, and some are white', () => {
    const png = PNG.sync.read(readFileSync(path.join(appPackageDir, 'outline.png')));
    let white = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b, a] = [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]];
      const transparent = a === 0;
      const isWhite = r === 255 && g === 255 && b === 255;
      expect(transparent || isWhite, `pixel ${i / 4}`).to.equal(true);
      if (!transparent) white++;
    }
    expect(white).to.be.greaterThan(50);
  });

  it('when packaged, the zip holds exactly manifest.json, color.png and outline.png with the ids filled in', async () => {
    const outFile = path.join(tmp, 'out', 'appPackage.zip');
    expect(await packageApp({ appPackageDir, outFile, values: sample })).to.deep.equal([]);
    const entries = unzipSync(readFileSync(outFile));
    expect(Object.keys(entries).sort()).to.deep.equal(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(new TextDecoder().decode(entries['manifest.json'])) as { id: string; bots: { botId: string }[] };
    expect(manifest.id).to.equal(sample.TEAMS_APP_ID);
    expect(manifest.bots[0]?.botId).to.equal(sample.BOT_ID);
  });

  it('when the manifest breaks the schema or an icon has the wrong size, every problem is listed and no zip is written', async () => {
    const broken = path.join(tmp, 'appPackage');
    cpSync(appPackageDir, broken, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(broken, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    manifest['accentColor'] = 'blue';
    writeFileSync(path.join(broken, 'manifest.json'), JSON.stringify(manifest));
    cpSync(path.join(appPackageDir, 'outline.png'), path.join(broken, 'color.png'));
    const outFile = path.join(tmp, 'broken.zip');
    const problems = await packageApp({ appPackageDir: broken, outFile, values: sample });
    expect(problems.join('\n')).to.include('accentColor');
    expect(problems.join('\n')).to.include('color.png is 32x32; Teams needs 192x192');
    expect(existsSync(outFile)).to.equal(false);
  });

  it('when the app id is not a GUID, the schema problem is listed and no zip is written', async () => {
    const outFile = path.join(tmp, 'bad-id.zip');
    const problems = await packageApp({ appPackageDir, outFile, values: { ...sample, TEAMS_APP_ID: 'smartcard-assistant' } });
    expect(problems.join('\n')).to.match(/\/id must match pattern/);
    expect(existsSync(outFile)).to.equal(false);
  });

  it('when the manifest points at a schema that is not bundled, or an icon is missing, packaging refuses offline instead of downloading', async () => {
    const broken = path.join(tmp, 'appPackage');
    cpSync(appPackageDir, broken, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(broken, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    manifest['$schema'] = 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.18/MicrosoftTeams.schema.json';
    writeFileSync(path.join(broken, 'manifest.json'), JSON.stringify(manifest));
    rmSync(path.join(broken, 'outline.png'));
    const outFile = path.join(tmp, 'unbundled.zip');
    const problems = (await packageApp({ appPackageDir: broken, outFile, values: sample })).join('\n');
    expect(problems).to.include('v1.18').and.to.include('not a Teams schema bundled');
    expect(problems).to.include('outline.png cannot be read (ENOENT)');
    expect(existsSync(outFile)).to.equal(false);
  });

  it('when the packaging settings are wrong, each one is named', () => {
    const { problems } = packageValues({ TEAMS_APP_ID: 'abc', BOT_DOMAIN: 'https://x.org', APP_WEBSITE_URL: 'http://x.org' });
    const all = problems.join('\n');
    for (const key of ['TEAMS_APP_ID', 'BOT_ID', 'BOT_DOMAIN', 'APP_WEBSITE_URL', 'APP_PRIVACY_URL', 'APP_TERMS_URL']) expect(all).to.include(key);
    expect(packageValues({ ...sample, BOT_ID: '', MicrosoftAppId: sample.BOT_ID }).problems).to.deep.equal([]);
  });
});
