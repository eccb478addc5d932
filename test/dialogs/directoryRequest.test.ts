import { expect } from 'chai';
import { directoryRequest } from '../../dialogs/mainDialog.js';

describe('which messages the directory answers rather than the FAQ', () => {
  const cases: readonly (readonly [text: string, mode: 'mine' | 'lookup' | 'change' | undefined])[] = [
    ['who is the sponsor for FA123?', 'lookup'],
    ["who's the LSA at fa123", 'lookup'],
    ['FA123', 'lookup'],
    ['sponsor for F12', 'lookup'],
    ['my ODS code is FA123', 'mine'],
    ['who is my sponsor?', 'mine'],
    ['find our RA team', 'mine'],
    ['who are our local smartcard administrators', 'mine'],
    ["I don't know my ODS code", 'change'],
    ['what is a sponsor', undefined],
    ['how do I become a sponsor', undefined],
    ['my sponsor is away, who else can unlock my card?', undefined],
    ['who can I contact about my lost card', undefined],
    ['how do I add a second branch ODS code to my card', undefined],
    ['my card is locked', undefined],
    ['ERR1002 when I log in', undefined],
  ];
  for (const [text, mode] of cases) {
    it(`when someone types ${JSON.stringify(text)}, ${mode ? `the directory answers (${mode})` : 'the FAQ answers'}`, () => {
      expect(directoryRequest(text)?.mode).to.equal(mode);
    });
  }
});
