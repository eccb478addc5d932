import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Low } from 'lowdb';
import type { App, AppOverrides } from '../../bot/app.js';
import { AesGcmCipher } from '../../bot/requests/fieldCipher.js';
import { CopyingMemory, LowdbDocument } from '../../bot/storage/lowdbDocument.js';
import { LowdbContacts, type ContactsData } from '../../bot/storage/lowdbDirectory.js';
import { LowdbRequests, memoryDesks, type RequestsData } from '../../bot/storage/lowdbRequests.js';
import { LowdbStorage, type StoredItems } from '../../bot/storage/lowdbStorage.js';
import { LowdbTraining, type TrainingData } from '../../bot/storage/lowdbTraining.js';
import { readAll, type Reply } from '../support/chat.js';
import { knowledgeWithMembers, seededDirectory } from '../support/directory.js';
import { memoryLogger, type LogEntry } from '../support/memoryLogger.js';
import { RecordingNotifier } from '../support/requests.js';
import { Person, serve } from './httpChat.js';

const apology = "Sorry, something went wrong on my side and I couldn't finish that.";
const adminId = '3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f';
const dorsetMemberId = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

/** A store's file in memory, whose writes fail as a disk does (EIO, ENOSPC) while `failing` names a code. */
class FlakyFile<T> extends CopyingMemory<T> {
  failing: 'EIO' | 'ENOSPC' | undefined;
  refused = 0;

  override write(data: T): Promise<void> {
    if (!this.failing) return super.write(data);
    this.refused++;
    const message = this.failing === 'EIO' ? 'EIO: i/o error, write' : 'ENOSPC: no space left on device, write';
    return Promise.reject(Object.assign(new Error(message), { code: this.failing }));
  }
}

function errors(entries: readonly LogEntry[]): LogEntry[] {
  return entries.filter((e) => e.level === 'error');
}

/** The turn failed, was logged at error with the reference the user was given, and nothing else reached them. */
function expectApologyOnly(replies: readonly Reply[], entries: readonly LogEntry[]): void {
  const text = readAll(replies);
  expect(replies, text).to.have.length(1);
  expect(text).to.include(apology);
  const reference = /quote reference (SA-[A-Z0-9]+)/.exec(text)?.[1];
  expect(reference).to.be.a('string');
  const failed = errors(entries).find((e) => e.msg === 'turn failed');
  expect(failed?.fields['reference']).to.equal(reference);
}

describe('faults: a write that fails during a turn', () => {
  let running: App | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  async function started(env: Record<string, string>, overrides: AppOverrides): Promise<string> {
    const { app, url } = await serve(env, overrides);
    running = app;
    return url;
  }

  describe('the bot state, saved at the end of the turn', () => {
    async function start(): Promise<{ url: string; file: FlakyFile<StoredItems>; logger: ReturnType<typeof memoryLogger> }> {
      const file = new FlakyFile<StoredItems>();
      const logger = memoryLogger();
      const url = await started({}, { storage: new LowdbStorage(new Low<StoredItems>(file, {})), logger });
      return { url, file, logger };
    }

    it('when saving where someone works fails, they get an apology with a reference and never "I\'ll remember"; nothing was remembered', async () => {
      const { url, file, logger } = await start();
      const sam = new Person(url, 'user-1', 'Sam Pharmacist');
      await sam.say('set my workplace');
      await sam.say('pharmacy');
      file.failing = 'EIO';
      const replies = await sam.say('isle of wight');
      expectApologyOnly(replies, logger.entries);
      expect(readAll(replies)).not.to.include("I'll remember");
      expect(file.refused).to.be.greaterThan(0);

      file.failing = undefined;
      const elsewhere = new Person(url, 'user-1', 'Sam Pharmacist', 'aad-user-1', 'another-chat');
      expect(readAll(await elsewhere.say('my ra team'))).to.include('Which organisation do you work for?');
    });

    it('when "forget me" cannot be saved, they are not told they were forgotten; what was remembered is still there to forget again', async () => {
      const { url, file, logger } = await start();
      const sam = new Person(url, 'user-1', 'Sam Pharmacist');
      await sam.say('set my workplace');
      await sam.say('pharmacy');
      expect(readAll(await sam.say('isle of wight'))).to.include("I'll remember where you work");
      file.failing = 'ENOSPC';
      const replies = await sam.say('forget me');
      expectApologyOnly(replies, logger.entries);
      expect(readAll(replies)).not.to.include("I've forgotten");

      file.failing = undefined;
      expect(readAll(await sam.say('my ra team'))).to.include('0300 5610429');
      expect(readAll(await sam.say('forget me'))).to.include("Done: I've forgotten your organisation and where you work.");
      expect(readAll(await sam.say('my ra team'))).to.include('Which organisation do you work for?');
    });
  });

  describe('the requests store, when a form is sent', () => {
    it('when filing fails (a full disk), the requester is told nothing has been sent; once the disk is back, sending again files it', async () => {
      const file = new FlakyFile<RequestsData>();
      const store = new LowdbRequests(LowdbDocument.inMemory<RequestsData>({ lastSequence: 0, requests: {} }, (d) => d, file), new AesGcmCipher(randomBytes(32)));
      const logger = memoryLogger();
      const url = await started({}, { directory: await seededDirectory(), requests: { store, canSeal: true }, desks: memoryDesks(), notifier: new RecordingNotifier(), logger });
      const sam = new Person(url, 'user-1', 'Sam Requester');
      const form = await sam.pressButton(await sam.say('raise a request'), 'Ask the RA team a question');
      const inputs = { question: 'Can my locum use their own card at our branch?', odsCode: 'FA123' };
      file.failing = 'ENOSPC';
      const refused = readAll(await sam.pressButton(form, 'Send to the RA team', inputs));
      expect(refused).to.include("Sorry, I couldn't send that just now, so nothing has been sent.");
      expect(refused).not.to.match(/RA-\d{6}|Sent to/);
      expect(errors(logger.entries).map((e) => e.msg)).to.include('request could not be filed');
      expect(await store.list({})).to.deep.equal([]);

      file.failing = undefined;
      expect(readAll(await sam.say('my requests'))).to.include("You haven't sent any requests");
      const filed = readAll(await sam.pressButton(form, 'Send to the RA team', inputs));
      expect(filed).to.include('RA-000001');
      expect((await store.list({})).map((r) => r.reference)).to.deep.equal(['RA-000001']);
    });
  });

  describe('the training store, when someone books', () => {
    let knowledge: Awaited<ReturnType<typeof knowledgeWithMembers>>;
    before(async () => {
      knowledge = await knowledgeWithMembers('dorset', [dorsetMemberId]);
    });
    after(() => knowledge.remove());

    it('when the booking cannot be written, they get an apology and no "Booked"; once it can, they book a place (not "already")', async () => {
      const file = new FlakyFile<TrainingData>();
      const store = new LowdbTraining(LowdbDocument.inMemory<TrainingData>({ sessions: {} }, (d) => d, file));
      const logger = memoryLogger();
      const url = await started({ RA_ADMINS: adminId }, { training: store, knowledgeDir: knowledge.dataDir, logger });
      const robin = new Person(url, 'ra-robin', 'Robin Dorset', dorsetMemberId);
      const preview = await robin.pressButton(await robin.say('new training session'), 'Preview', {
        course: 'sponsor',
        venue: 'dorset-poole',
        date: '2026-12-08',
        startTime: '10:00',
        duration: '120',
        capacity: '10',
        bookingDeadline: '2026-12-01',
        audience: 'everyone',
      });
      const announced = await robin.pressButton(preview, 'Announce');
      const id = /Announced \*\*(TS-[A-Z0-9]+)\*\*/.exec(readAll(announced))?.[1];
      expect(id, readAll(announced)).to.be.a('string');

      const alex = new Person(url, 'user-alex', 'Alex Able');
      file.failing = 'EIO';
      const refused = await alex.say(`book ${id}`);
      expectApologyOnly(refused, logger.entries);
      expect(readAll(refused)).not.to.include('Booked');

      file.failing = undefined;
      const booked = readAll(await alex.say(`book ${id}`));
      expect(booked).to.include('Booked: Sponsor training');
      expect(booked).not.to.include('already');
    });
  });

  describe('the contacts store, when an RA team member edits a contact', () => {
    it('when saving the new contact fails, they are told nothing has changed, never "Saved"; the contact is not there afterwards', async () => {
      const seeded = await seededDirectory();
      const file = new FlakyFile<ContactsData>();
      const contacts = new LowdbContacts(LowdbDocument.inMemory<ContactsData>({ contacts: {} }, (d) => d, file));
      await contacts.putAll(await seeded.contacts.forOrganisation('FA123'));
      const logger = memoryLogger();
      const url = await started({ RA_ADMINS: adminId }, { directory: { organisations: seeded.organisations, contacts }, logger });
      const robin = new Person(url, 'ra-admin', 'Robin Admin', adminId);
      const form = await robin.pressButton(await robin.say('FA123'), 'Add a contact');
      file.failing = 'ENOSPC';
      const refused = readAll(await robin.pressButton(form, 'Save', { role: 'sponsor', name: 'Kim Newcomer', email: '', phone: '' }));
      expect(refused).to.include("Sorry, I couldn't save that change just now, so nothing has changed.");
      expect(refused).not.to.include('Saved');
      expect(errors(logger.entries).map((e) => e.msg)).to.include('contact write failed');

      file.failing = undefined;
      expect((await contacts.forOrganisation('FA123')).map((c) => c.name)).not.to.include('Kim Newcomer');
      expect(readAll(await robin.say('FA123'))).not.to.include('Kim Newcomer');
    });
  });
});
