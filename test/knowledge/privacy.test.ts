import { expect } from 'chai';
import { mentionsSecret, redact } from '../../knowledge/privacy.js';

describe('privacy: passcodes and personal details in messages', () => {
  for (const text of ['my new passcode is 246810', 'pin 1234 not working', 'the unlock code was 554433', 'my password is 12345678']) {
    it(`"${text}" is recognised as carrying a secret`, () => expect(mentionsSecret(text)).to.equal(true));
  }
  for (const text of [
    'my card number starts with 02',
    'my ODS code is FA1234',
    'how long is the unlock code valid',
    'my UUID is 123456789012',
    'call 0300 5610429',
    'I get error code 1002 when I log in',
  ]) {
    it(`"${text}" is not taken for a secret`, () => expect(mentionsSecret(text)).to.equal(false));
  }
  it('stored questions lose email addresses, phone numbers and long numbers, and are cut to 500 characters', () => {
    expect(redact('email me at jo.bloggs@nhs.net or ring 07700 900123, pin 4321')).to.equal('email me at [email] or ring [number], pin [number]');
    expect(redact('x'.repeat(2000))).to.have.length(500);
  });
});
