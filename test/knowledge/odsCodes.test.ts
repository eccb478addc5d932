import { expect } from 'chai';
import { codeLikeIn, odsCodeIn, readOdsCode, statedCode, type CodeShape } from '../../knowledge/odsCodes.js';

describe('knowledge: reading ODS codes', () => {
  describe('readOdsCode: a code someone typed', () => {
    const valid: readonly (readonly [typed: string, code: string, shape: CodeShape, what: string])[] = [
      ['FA123', 'FA123', 'pharmacy', 'a pharmacy F code'],
      ['fa 123', 'FA123', 'pharmacy', 'a pharmacy code typed in lower case with a space'],
      [' fa-123 ', 'FA123', 'pharmacy', 'a pharmacy code with a hyphen and spaces around it'],
      ['A81001', 'A81001', 'gp-practice', 'a GP practice code'],
      ['Y90001', 'Y90001', 'gp-practice', 'a newer English practice code starting Y'],
      ['FFFFF', 'FFFFF', 'locum', 'the national locum pharmacy code'],
      ['fffff', 'FFFFF', 'locum', 'the locum code in lower case'],
      ['P79D', 'P79D', 'pharmacy-hq', 'a legacy pharmacy head office code'],
      ['RWR', 'RWR', 'trust', 'an NHS trust code'],
      ['RH802', 'RH802', 'trust-site', 'an NHS trust site code'],
      ['QVV', 'QVV', 'icb', 'an ICB code'],
      ['11J', '11J', 'sub-icb', 'a sub-ICB code of digits and a letter'],
      ['D9Y0V', 'D9Y0V', 'other', 'a five-character sub-ICB code, which shares its shape with other organisations'],
    ];
    for (const [typed, code, shape, what] of valid) {
      it(`when someone types ${JSON.stringify(typed)} (${what}), it reads as ${code}, shape ${shape}`, () => {
        expect(readOdsCode(typed)).to.deep.equal({ ok: true, code, shape });
      });
    }

    const invalid: readonly (readonly [typed: string, says: string, what: string])[] = [
      ['F12', `"F12" can't be a pharmacy code: pharmacy ODS codes are F and four more letters or numbers, like FA123.`, 'a pharmacy code too short'],
      ['FA1234', `"FA1234" can't be a pharmacy code: pharmacy ODS codes are F and four more`, 'a pharmacy code too long'],
      ['A8100', `"A8100" can't be a GP practice code: those are one letter and five numbers, like A81001.`, 'a practice code a digit short'],
      ['123456789012', `"123456789012" looks like a smartcard number (UUID), not an ODS code.`, 'a 12-digit smartcard UUID'],
      ['1234', `"1234" can't be an ODS code: ODS codes have letters in them`, 'four digits'],
      ['12345', `"12345" can't be an ODS code: ODS codes have letters in them`, 'five digits, the length of a pharmacy code'],
      ['123', `"123" can't be an ODS code: ODS codes have letters in them`, 'three digits, the length of a trust code'],
      ['F@123', `"F@123" can't be an ODS code: ODS codes have only letters and numbers`, 'punctuation inside the code'],
      ['FA.123', `"FA.123" can't be an ODS code: ODS codes have only letters and numbers`, 'a full stop inside the code'],
      ['', 'An ODS code is 3 to 6 letters and numbers, like FA123 for a pharmacy or A81001 for a GP practice.', 'nothing'],
      ['   ', 'An ODS code is 3 to 6 letters and numbers', 'only spaces'],
      ['AB', `"AB" can't be an ODS code: they are 3 to 6 letters and numbers`, 'two letters'],
    ];
    for (const [typed, says, what] of invalid) {
      it(`when someone types ${JSON.stringify(typed)} (${what}), it is refused with "${says.slice(0, 60)}..."`, () => {
        const reading = readOdsCode(typed);
        if (reading.ok) expect.fail(`${JSON.stringify(typed)} was read as ${reading.code} (${reading.shape})`);
        expect(reading.problem).to.include(says);
      });
    }

    it('when something long is typed, the problem quotes only its start', () => {
      const reading = readOdsCode('THISISNOTANODSCODEATALLREALLY');
      if (reading.ok) expect.fail('read as a code');
      expect(reading.problem).to.match(/^"THISISNOTANODSCOD\.\.\." can't be an ODS code/);
    });
  });

  describe('odsCodeIn: the code meant in a sentence', () => {
    const cases: readonly (readonly [text: string, code: string | undefined, why: string])[] = [
      ['who is the sponsor for FA123?', 'FA123', 'a pharmacy code with digits'],
      ['sponsor at fa123 please', 'FA123', 'a code with digits in lower case'],
      ['my practice is a81001', 'A81001', 'a practice code'],
      ['access to FFFFF for a locum', 'FFFFF', 'the locum code'],
      ['which team covers QVV', 'QVV', 'an ICB code in capitals'],
      ['P79D head office', 'P79D', 'a pharmacy head office code'],
      ['FA123 and A81001', 'FA123', 'the first of two codes'],
      ['my first smartcard', undefined, 'an ordinary lower-case word of pharmacy shape ("first" is F and four letters)'],
      ['the Fresh pharmacy', undefined, 'a capitalised word of pharmacy shape'],
      ['FIRST AID ROOM', 'FIRST', 'a word typed in capitals with the shape of a pharmacy code (F and four letters) IS taken as one'],
      ['the RAA team', undefined, 'a trust-shaped acronym in capitals'],
      ['RWR trust', undefined, 'a real trust code with no digit: trust codes look like acronyms, so are not taken'],
      ['SCR access', undefined, 'SCR'],
      ['EPS problem', undefined, 'EPS'],
      ['my ICB is', undefined, 'ICB'],
      ['what about 11J', undefined, 'a sub-ICB code'],
      ['D9Y0V', undefined, 'a five-character code of no particular kind'],
      ['it says F12', undefined, 'something code-like that cannot be a code'],
      ['', undefined, 'nothing'],
    ];
    for (const [text, code, why] of cases) {
      it(`when the text is ${JSON.stringify(text)} (${why}), the code is ${code ?? 'none'}`, () => {
        expect(odsCodeIn(text)).to.equal(code);
      });
    }
  });

  describe('statedCode: the word after "ODS code is", typed or mistyped', () => {
    const cases: readonly (readonly [text: string, stated: string | undefined])[] = [
      ['my ODS code is fa123', 'fa123'],
      ['ods code: X', 'X'],
      ['ODS code = Y90001.', 'Y90001'],
      ['organisation code is A8100, I think', 'A8100'],
      ['pharmacy code FA12', 'FA12'],
      ['my F code is FQ001!', 'FQ001'],
      ['what is an ODS code', undefined],
      ['ods code for my pharmacy', undefined],
      ['my ODS code is', undefined],
      ['who is my sponsor', undefined],
      ['how do I add a second branch ODS code to my card', undefined],
      ['the practice code changed after the merger', undefined],
    ];
    for (const [text, stated] of cases) {
      it(`when the text is ${JSON.stringify(text)}, the stated code is ${stated === undefined ? 'none' : JSON.stringify(stated)}, as typed`, () => {
        expect(statedCode(text)).to.equal(stated);
      });
    }
  });

  describe('codeLikeIn: a word meant as a code even when it cannot be one', () => {
    const cases: readonly (readonly [text: string, word: string | undefined])[] = [
      ['my code is F12', 'F12'],
      ['sponsor for FA123 and A81001', 'FA123'],
      ['A1 please', 'A1'],
      ['who is my sponsor', undefined],
      ['call 01202 541604', undefined],
      ['card 123456789012', undefined],
      ['X1234567890 is too long', undefined],
    ];
    for (const [text, word] of cases) {
      it(`when the text is ${JSON.stringify(text)}, the code-like word is ${word ?? 'none'}`, () => {
        expect(codeLikeIn(text)).to.equal(word);
      });
    }
  });
});
