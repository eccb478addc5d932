import { expect } from 'chai';
import { MemoryStorage } from 'botbuilder';
import type { Organisation, OrganisationFetch, OrganisationSource } from '../../knowledge/organisations.js';
import { memoryQuestionLog, readAll, testApp, testNow, type Reply } from '../support/chat.js';
import { expectValidCards, RecordingChat, seededDirectory } from '../support/directory.js';

const scwPhone = '0300 5610429';
const scwName = 'South, Central and West CSU RA (smartcard) service';
const dorsetPhone = '01202 541604';
const dorsetName = 'NHS Dorset Smartcard Support Team';
const fallbackText = "I don't hold contact details for the RA team that serves your workplace yet";
const codeQuestion = 'Which organisation?';
const myCodeQuestion = 'Which organisation do you work for?';

/** A pharmacy the fixtures do not hold, as the live ODS service would return it: in Dorset by its ICB. */
const quaysidePharmacy: Organisation = {
  code: 'FX999',
  name: 'QUAYSIDE PHARMACY (FICTIONAL)',
  kind: 'pharmacy',
  address: ['9 THE QUAY', 'POOLE', 'DORSET'],
  postcode: 'BH15 1HJ',
  icb: 'QVV',
  open: true,
  source: 'ord',
  updatedAt: testNow.toISOString(),
};

/** Stands in for the ODS ORD API, answering every code the same way and counting the calls. */
class FakeOds implements OrganisationSource {
  readonly asked: string[] = [];
  constructor(private readonly answer: OrganisationFetch) {}
  fetch(code: string): Promise<OrganisationFetch> {
    this.asked.push(code);
    return Promise.resolve(this.answer);
  }
}

/** Fails unless each part appears in the text, each after the one before it. */
function order(text: string, ...parts: string[]): void {
  let from = 0;
  for (const part of parts) {
    const at = text.indexOf(part, from);
    expect(at, `"${part}" after position ${from} in:\n${text}`).to.be.at.least(0);
    from = at + part.length;
  }
}

describe('find a contact (the directory by ODS code, name or postcode)', () => {
  // Every card the bot sends in a scenario is checked with Microsoft's Adaptive Cards SDK when the scenario ends.
  const sent: unknown[] = [];

  function scenario(title: string, body: () => Promise<void>): void {
    it(title, async () => {
      sent.length = 0;
      await body();
      expectValidCards(sent);
    });
  }

  /** A user talking to the real app on a freshly seeded in-memory directory. */
  async function startChat(options: { source?: OrganisationSource; storage?: MemoryStorage } = {}): Promise<RecordingChat> {
    const app = await testApp({}, options.storage ?? new MemoryStorage(), memoryQuestionLog(), {
      directory: await seededDirectory(),
      ...(options.source ? { organisationSource: options.source } : {}),
    });
    return new RecordingChat(sent, app);
  }

  describe('asking by ODS code', () => {
    scenario('when a pharmacy user asks who the sponsor for FA123 is, both Sponsors come first, then the LSA, the SCW phone and where it comes from', async () => {
      const chat = await startChat();
      const text = readAll(await chat.say('who is the sponsor for FA123'));
      expect(text).to.include('Sponsors at SEAFRONT PHARMACY (FICTIONAL) (FA123)');
      order(text, 'Sponsors\n', '**Alex Example**: alex.example@nhs.net, 023 9200 0000', '**Sam Sample**', 'Local Smartcard Administrators', '**Jo Placeholder**');
      order(text, 'RA team', scwName, `Phone: ${scwPhone}`);
      expect(text).to.include('Organisation details from the ODS edispensary extract (21 November 2026).');
      expect(text).to.include('From All about Smartcards (SCW RA service for South Central pharmacies), reviewed 21 November 2026.');
      expect(text).not.to.include(dorsetPhone);
    });

    scenario("when a user asks who's the LSA at fa123 in lower case, the Local Smartcard Administrators come before the Sponsors", async () => {
      const chat = await startChat();
      const text = readAll(await chat.say("who's the LSA at fa123?"));
      expect(text).to.include('Local Smartcard Administrators at SEAFRONT PHARMACY (FICTIONAL) (FA123)');
      order(text, 'ODS code: FA123', 'Local Smartcard Administrators\n**Jo Placeholder**', 'Sponsors\n**Alex Example**', '**Sam Sample**');
    });

    scenario('when the code question is answered with a sentence ("my ODS code is Y90001"), the code is read from it and remembered', async () => {
      const chat = await startChat();
      expect(readAll(await chat.say('who is my sponsor?'))).to.include(myCodeQuestion);
      const text = readAll(await chat.say("it's Y90001, my ODS code is Y90001"));
      expect(text).to.include('Sponsors at HARBOUR VIEW SURGERY (FICTIONAL) (Y90001)');
      expect(text).to.include("I'll remember this as your organisation");
      expect(readAll(await chat.say('my ra team'))).to.include(dorsetPhone);
    });

    scenario('when a user types just FA123, they see the organisation: its address, status and contacts', async () => {
      const chat = await startChat();
      const text = readAll(await chat.say('FA123'));
      expect(text).to.include('SEAFRONT PHARMACY (FICTIONAL) (FA123)');
      expect(text).to.include('Type: Community pharmacy');
      expect(text).to.include('Address: 5 Esplanade, Southsea, Hampshire, PO5 3AA');
      expect(text).to.include('Status: Open');
      expect(text).to.include('**Alex Example**');
      expect(text).to.include(`Phone: ${scwPhone}`);
      expect(text).to.include('[This is where I work]');
    });

    scenario('when a GP practice user says "my ODS code is Y90001", it is remembered, and the smartcard contact FAQ then names only the Dorset team', async () => {
      const chat = await startChat();
      const stated = readAll(await chat.say('my ODS code is Y90001'));
      expect(stated).to.include("I'll remember this as your organisation");
      expect(stated).to.include('HARBOUR VIEW SURGERY (FICTIONAL) (Y90001)');
      expect(stated).to.include('**Pat Fictional**');
      expect(stated).to.include(`Phone: ${dorsetPhone}`);
      expect(stated).not.to.include('[This is where I work]');

      const faq = readAll(await chat.say('who do I contact about smartcards'));
      expect(faq).to.include(`${dorsetName} (${dorsetPhone})`);
      expect(faq).to.include('Your contacts at HARBOUR VIEW SURGERY (FICTIONAL)');
      expect(faq).not.to.include(scwPhone);
      expect(faq).not.to.include(scwName);
    });

    scenario('when a user presses "This is where I work" on an organisation they looked up, it is remembered, and "my ra team" then shows it at once', async () => {
      const chat = await startChat();
      const looked = await chat.say('who is the sponsor for FA123');
      const remembered = readAll(await chat.pressButton(looked, 'This is where I work'));
      expect(remembered).to.include("Done: I'll use SEAFRONT PHARMACY (FICTIONAL) (FA123) as your organisation in my answers.");

      const mine = readAll(await chat.say('my ra team'));
      expect(mine).to.include('RA team for SEAFRONT PHARMACY (FICTIONAL) (FA123)');
      expect(mine).to.include(`Phone: ${scwPhone}`);
      expect(mine).not.to.include(myCodeQuestion);
      expect(mine).not.to.include('[This is where I work]');
    });
  });

  describe('the locum pharmacy code FFFFF', () => {
    scenario('when a locum pharmacist asks who the sponsor for FFFFF is, they are told it is the virtual locum organisation and given the RA team to contact', async () => {
      const chat = await startChat();
      const text = readAll(await chat.say('who is the sponsor for FFFFF'));
      expect(text).to.include('FFFFF is the virtual National Locum Pharmacy organisation, not a premises');
      expect(text).to.include('no Sponsor or local contacts of its own');
      expect(text).to.include(`For access to it, contact your RA team: ${scwName}`);
      expect(text).to.include(scwPhone);
    });

    scenario('when a user presses "I\'m a locum (FFFFF)" at the code question, they get the same explanation', async () => {
      const chat = await startChat();
      const asked = await chat.say('find a contact');
      expect(readAll(asked)).to.include(codeQuestion);
      const text = readAll(await chat.pressButton(asked, "I'm a locum (FFFFF)"));
      expect(text).to.include('FFFFF is the virtual National Locum Pharmacy organisation');
      expect(text).to.include(scwPhone);
    });
  });

  describe('codes that cannot be ODS codes', () => {
    scenario('when a user asks "sponsor for F12", they are told what a pharmacy code looks like and asked again', async () => {
      const chat = await startChat();
      const text = readAll(await chat.say('sponsor for F12'));
      order(text, '"F12" can\'t be a pharmacy code: pharmacy ODS codes are F and four more letters or numbers, like FA123.', codeQuestion);
    });

    scenario('when a user then types "A8100", they are told what a GP practice code looks like', async () => {
      const chat = await startChat();
      await chat.say('sponsor for F12');
      const text = readAll(await chat.say('A8100'));
      order(text, '"A8100" can\'t be a GP practice code: those are one letter and five numbers, like A81001.', codeQuestion);
    });

    scenario('when a user gives three bad codes in a row, the question ends and they are given the RA team to ask', async () => {
      const chat = await startChat();
      await chat.say('sponsor for F12');
      await chat.say('A8100');
      const third = readAll(await chat.say('F12X'));
      expect(third).to.include('"F12X" can\'t be a pharmacy code');
      expect(third).to.include("Let's leave it there for now. Your RA team can help you find the organisation:");
      expect(third).to.include(scwPhone);
      expect(third).to.include(dorsetPhone);
      expect(third).not.to.include(codeQuestion);
      // The question is closed: the next message is not read as a code.
      expect(readAll(await chat.say('FA123'))).to.include('SEAFRONT PHARMACY (FICTIONAL) (FA123)');
    });
  });

  describe('a valid code the directory does not hold (FX999)', () => {
    async function askedWhere(chat: RecordingChat): Promise<Reply[]> {
      const replies = await chat.say('who is the sponsor for FX999');
      const text = readAll(replies);
      expect(text).to.include("FX999 is a valid ODS code, but it isn't in my directory. I can still tell you which RA team serves it.");
      expect(text).to.include('Where is FX999?');
      return replies;
    }

    scenario('when the user types the postcode BH12 5AG, they get the Dorset team, placed by that postcode', async () => {
      const chat = await startChat();
      await askedWhere(chat);
      const text = readAll(await chat.say('BH12 5AG'));
      expect(text).to.include('RA team for FX999');
      expect(text).to.include(dorsetName);
      expect(text).to.include(`Phone: ${dorsetPhone}`);
      expect(text).to.include('I placed FX999 in Dorset by its postcode.');
      expect(text).not.to.include(scwPhone);
    });

    scenario('when the user presses "Hampshire or Isle of Wight", they get the SCW service', async () => {
      const chat = await startChat();
      const where = await askedWhere(chat);
      const text = readAll(await chat.pressButton(where, 'Hampshire or Isle of Wight'));
      expect(text).to.include(scwName);
      expect(text).to.include(`Phone: ${scwPhone}`);
      expect(text).to.include('You told me FX999 is in Hampshire or Isle of Wight.');
    });

    scenario('when the user types the ICB code QRL, they get the SCW service', async () => {
      const chat = await startChat();
      await askedWhere(chat);
      const text = readAll(await chat.say('QRL'));
      expect(text).to.include(scwName);
      expect(text).to.include(`Phone: ${scwPhone}`);
    });

    scenario('when the user presses "Somewhere else in England", they get the national advice, not a named team', async () => {
      const chat = await startChat();
      const where = await askedWhere(chat);
      const text = readAll(await chat.pressButton(where, 'Somewhere else in England'));
      expect(text).to.include('Your local RA team');
      expect(text).to.include(fallbackText);
      expect(text).to.include('Your line manager, practice manager or Sponsor will know which Registration Authority (RA) team serves your organisation.');
      expect(text).not.to.include(scwPhone);
      expect(text).not.to.include(dorsetPhone);
    });

    scenario('when a user says "my ODS code is FX999" and then where it is, the choice is remembered and "my ra team" answers without asking', async () => {
      const chat = await startChat();
      const where = await chat.say('my ODS code is FX999');
      expect(readAll(where)).to.include('Where is FX999?');
      const placed = readAll(await chat.pressButton(where, 'Dorset'));
      expect(placed).to.include("I'll remember this as your organisation.");
      expect(placed).to.include(dorsetName);

      const mine = readAll(await chat.say('my ra team'));
      expect(mine).to.include(dorsetName);
      expect(mine).to.include(dorsetPhone);
      expect(mine).not.to.include('Where is FX999?');
      expect(mine).not.to.include(myCodeQuestion);
    });
  });

  describe('the live ODS service', () => {
    scenario('when ODS knows FX999, the card says it was fetched from the ODS service, and a second look-up is answered from the directory without asking ODS again', async () => {
      const ods = new FakeOds({ kind: 'found', organisation: quaysidePharmacy });
      const chat = await startChat({ source: ods });
      const first = readAll(await chat.say('FX999'));
      expect(first).to.include('QUAYSIDE PHARMACY (FICTIONAL) (FX999)');
      expect(first).to.include('This organisation was not in my directory, so I fetched it from the ODS service.');
      expect(first).to.include('Organisation details from the ODS service (21 November 2026).');
      expect(first).to.include(dorsetName);
      expect(ods.asked).to.deep.equal(['FX999']);

      const second = readAll(await chat.say('who is the sponsor for FX999'));
      expect(second).to.include('QUAYSIDE PHARMACY (FICTIONAL) (FX999)');
      expect(second).not.to.include('fetched it from the ODS service');
      expect(ods.asked).to.deep.equal(['FX999']);
    });

    scenario('when the ODS service cannot be reached, the user is told so and still asked where the organisation is', async () => {
      const chat = await startChat({ source: new FakeOds({ kind: 'unavailable', reason: 'timed out after 3000 ms' }) });
      const text = readAll(await chat.say('FX999'));
      order(text, "FX999 is a valid ODS code, but it isn't in my directory.", "I couldn't reach the ODS service to check it just now.", 'Where is FX999?');
      expect(text).not.to.include('timed out');
      expect(readAll(await chat.say('Poole'))).to.include(dorsetName);
    });

    scenario('when the ODS service has no such code either, the user is told to check it', async () => {
      const chat = await startChat({ source: new FakeOds({ kind: 'not-found' }) });
      const text = readAll(await chat.say('FX999'));
      expect(text).to.include('The ODS service has no organisation with that code either, so please check it.');
      expect(text).to.include('Where is FX999?');
    });
  });

  describe('finding an organisation by name or postcode', () => {
    scenario('when a user does not know their ODS code and types "seafront", the one match is shown straight away and remembered', async () => {
      const chat = await startChat();
      expect(readAll(await chat.say("I don't know my ODS code"))).to.include(myCodeQuestion);
      const text = readAll(await chat.say('seafront'));
      expect(text).to.include('SEAFRONT PHARMACY (FICTIONAL) (FA123)');
      expect(text).to.include("I'll remember this as your organisation");
      expect(text).not.to.include('Which of these is it?');
    });

    scenario('when a search matches several organisations, the user chooses by typing its number', async () => {
      const chat = await startChat();
      await chat.say('find a contact');
      const choices = await chat.say('pharmacy');
      const text = readAll(choices);
      expect(text).to.include('Which of these is it?');
      const titles = choices.flatMap((r) => r.buttons.map((b) => b.title));
      expect(titles).to.have.length(4);
      expect(titles[3]).to.equal('None of these');
      for (const [name, code] of [['SEAFRONT PHARMACY', 'FA123'], ['HEATH PHARMACY', 'FW844'], ['NEW FOREST PHARMACY', 'FQ001']]) {
        expect(titles.some((t) => t.startsWith(`${name} (FICTIONAL), `) && t.endsWith(`(${code})`)), `${code} in ${titles.join(' | ')}`).to.equal(true);
      }
      const second = choices.flatMap((r) => r.buttons)[1]?.title ?? '';
      const code = /\((\w+)\)$/.exec(second)?.[1] ?? 'none';
      expect(code).to.match(/^F/);
      const picked = readAll(await chat.say('2'));
      expect(picked).to.include(`ODS code: ${code}`);
      expect(picked).not.to.include('Which of these is it?');
    });

    scenario('when a search matches several organisations, the user chooses by pressing a button', async () => {
      const chat = await startChat();
      await chat.say('find a contact');
      const choices = await chat.say('pharmacy');
      const heath = choices.flatMap((r) => r.buttons).find((b) => b.title.endsWith('(FW844)'));
      expect(heath, 'a button for FW844').not.to.equal(undefined);
      const text = readAll(await chat.pressButton(choices, heath?.title ?? ''));
      expect(text).to.include('HEATH PHARMACY (FICTIONAL) (FW844)');
      expect(text).to.include("I don't have this organisation's Sponsors or Smartcard Administrators yet.");
      expect(text).to.include(dorsetName);
    });

    scenario('when none of the matches is right, the user presses "None of these" and is asked again', async () => {
      const chat = await startChat();
      await chat.say('find a contact');
      const choices = await chat.say('pharmacy');
      const text = readAll(await chat.pressButton(choices, 'None of these'));
      order(text, "Let's try again: type the ODS code, the organisation's postcode, or its name spelled another way.", codeQuestion);
      expect(readAll(await chat.say('harbour view'))).to.include('HARBOUR VIEW SURGERY (FICTIONAL) (Y90001)');
    });

    scenario('when a search matches nothing, the user is told so and asked again', async () => {
      const chat = await startChat();
      const asked = await chat.say('find a contact');
      await chat.pressButton(asked, "I don't know the code");
      const text = readAll(await chat.say('zzqqxx'));
      order(text, 'I couldn\'t find an organisation matching "zzqqxx". Check the spelling, or try its postcode or ODS code.', codeQuestion);
    });
  });

  describe('organisations that need a word of warning', () => {
    scenario('when a user looks up the closed practice Y90003, they are told it is closed and since when', async () => {
      const chat = await startChat();
      const text = readAll(await chat.say('Y90003'));
      expect(text).to.include('ODS lists this organisation as closed since 31 March 2024. If you still work there, check the code with your RA team.');
      expect(text).to.include('Status: Closed');
    });

    scenario('when a user looks up Y90004, a Leeds practice (ICB QWO), they get the national advice, not a named team', async () => {
      const chat = await startChat();
      const text = readAll(await chat.say('Y90004'));
      expect(text).to.include('MOORSIDE HEALTH CENTRE (FICTIONAL) (Y90004)');
      expect(text).to.include(fallbackText);
      expect(text).not.to.include(scwPhone);
      expect(text).not.to.include(dorsetPhone);
      expect(text).not.to.include(dorsetName);
      expect(text).not.to.include(scwName);
    });

    scenario('when a user looks up FQ001, which ODS gives no ICB, they are told it was placed by its postcode', async () => {
      const chat = await startChat();
      const text = readAll(await chat.say('FQ001'));
      expect(text).to.include(scwName);
      expect(text).to.include('I placed FQ001 in Hampshire or Isle of Wight by its postcode. Postcode areas can cross ICB boundaries');
    });
  });

  describe('the organisation remembered for the user', () => {
    scenario('when a user says "change my organisation", they are asked again even though one is remembered, and the new one replaces it', async () => {
      const chat = await startChat();
      await chat.say('my ODS code is Y90001');
      const asked = readAll(await chat.say('change my organisation'));
      expect(asked).to.include(myCodeQuestion);
      expect(asked).not.to.include('HARBOUR VIEW');
      expect(readAll(await chat.say('FA123'))).to.include("I'll remember this as your organisation");
      expect(readAll(await chat.say('my ra team'))).to.include('RA team for SEAFRONT PHARMACY (FICTIONAL) (FA123)');
    });

    scenario('when a user says "forget me", they are told what was forgotten and "my ra team" asks for their organisation again', async () => {
      const chat = await startChat();
      await chat.say('my ODS code is Y90001');
      const forgot = readAll(await chat.say('forget me'));
      expect(forgot).to.include("Done: I've forgotten your organisation and where you work.");
      const mine = readAll(await chat.say('my ra team'));
      expect(mine).to.include(myCodeQuestion);
      expect(mine).not.to.include('HARBOUR VIEW');
    });

    scenario('when a user presses "Not one organisation", they are asked where they work instead', async () => {
      const chat = await startChat();
      const asked = await chat.say('my ra team');
      expect(readAll(asked)).to.include(myCodeQuestion);
      const text = readAll(await chat.pressButton(asked, 'Not one organisation'));
      expect(text).to.include('Where do you work?');
      expect(text).to.include('[Locum GP]');
    });
  });

  describe('leaving the question', () => {
    scenario('when a button from an earlier question is pressed, the user is told and asked the current question again', async () => {
      const chat = await startChat();
      const codeCard = await chat.say('find a contact');
      expect(readAll(await chat.say('FX999'))).to.include('Where is FX999?');
      const text = readAll(await chat.pressButton(codeCard, "I'm a locum (FFFFF)"));
      order(text, 'That button belongs to an earlier question. Please answer the one below.', 'Where is FX999?');
      expect(text).not.to.include('virtual National Locum Pharmacy');
      expect(readAll(await chat.say('dorset'))).to.include(dorsetName);
    });

    scenario('when a user types cancel at the code question, the look-up stops', async () => {
      const chat = await startChat();
      await chat.say('find a contact');
      expect(readAll(await chat.say('cancel'))).to.include("OK, I've stopped that. Nothing was changed.");
      // The next message starts afresh rather than answering the closed question.
      expect(readAll(await chat.say('zzzz qqqq'))).to.include("I don't know that one yet");
    });

    scenario('when a user asks a real question at the code question, the look-up stops and the question is answered', async () => {
      const chat = await startChat();
      await chat.say('find a contact');
      const text = readAll(await chat.say('how do I renew my certificates?'));
      order(text, "That sounds like a new question, so I've stopped looking up the organisation.", 'Renew your own smartcard');
      expect(text).not.to.include(codeQuestion);
    });
  });
});
