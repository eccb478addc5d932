import { expect } from 'chai';
import { checkContact } from '../../knowledge/contactRules.js';
import type { ContactCheck, ContactField, ContactFields, ContactInput } from '../../knowledge/contactRules.js';

const jane: ContactInput = { role: 'sponsor', name: 'Jane Smith', email: 'jane.smith@nhs.net', phone: '01202 541604' };

function fieldsOf(check: ContactCheck): ContactFields {
  if (!check.ok) expect.fail(`expected the contact to be accepted, got ${JSON.stringify(check.errors)}`);
  return check.fields;
}

function errorsOf(check: ContactCheck): Partial<Record<ContactField, string>> {
  if (check.ok) expect.fail(`expected problems, got ${JSON.stringify(check.fields)}`);
  return check.errors;
}

const roleAdvice = 'The role must be one of sponsor, lsa, ra-agent, id-checker.';
const tooShort = 'Enter the name, at least 2 characters.';
const tooLong = 'Keep the name to 100 characters.';
const hidden = 'The name has characters that are not letters or punctuation.';
const emailAdvice = 'Enter a work email address like name@nhs.net, or leave it empty.';
const phoneAdvice = 'Enter a UK phone number like 01202 123456, or leave it empty.';

describe('checkContact', () => {
  describe('a good contact', () => {
    it('when every field is filled in well, the contact is accepted as typed', () => {
      expect(checkContact(jane)).to.deep.equal({ ok: true, fields: jane });
    });

    it('when the fields have spaces around them, the spaces are dropped', () => {
      const fields = fieldsOf(checkContact({ role: ' lsa ', name: '\tSam Patel  ', email: ' sam@nhs.net ', phone: ' 01202 541604 ' }));
      expect(fields).to.deep.equal({ role: 'lsa', name: 'Sam Patel', email: 'sam@nhs.net', phone: '01202 541604' });
    });

    it('when the email has capital letters, it is kept in lower case', () => {
      expect(fieldsOf(checkContact({ ...jane, email: 'Jane.Smith@NHS.net' })).email).to.equal('jane.smith@nhs.net');
    });

    it('when the role is typed in capitals or mixed case, it is the role in lower case', () => {
      const roles = ['SPONSOR', 'Lsa', 'RA-Agent', 'Id-Checker'].map((role) => fieldsOf(checkContact({ ...jane, role })).role);
      expect(roles).to.deep.equal(['sponsor', 'lsa', 'ra-agent', 'id-checker']);
    });

    it('when the phone starts +44, it is written with a leading 0 instead, keeping the spacing', () => {
      expect(fieldsOf(checkContact({ ...jane, phone: '+44 1202 541604' })).phone).to.equal('01202 541604');
      expect(fieldsOf(checkContact({ ...jane, phone: '+441202541604' })).phone).to.equal('01202541604');
    });

    it('when the phone has brackets or hyphens, they become single spaces', () => {
      expect(fieldsOf(checkContact({ ...jane, phone: '(01202) 541-604' })).phone).to.equal('01202 541 604');
      expect(fieldsOf(checkContact({ ...jane, phone: '+44-1202-541604' })).phone).to.equal('01202 541604');
    });

    it('when the phone has 10 or 11 digits, both are UK numbers', () => {
      expect(fieldsOf(checkContact({ ...jane, phone: '016977 1234' })).phone).to.equal('016977 1234');
      expect(fieldsOf(checkContact({ ...jane, phone: '07700900123' })).phone).to.equal('07700900123');
    });

    it('when the email and phone are empty or only spaces, the contact has no email or phone', () => {
      const fields = fieldsOf(checkContact({ ...jane, email: '', phone: '   ' }));
      expect(fields.email).to.equal(undefined);
      expect(fields.phone).to.equal(undefined);
      expect(fields).to.include({ role: 'sponsor', name: 'Jane Smith' });
    });

    it('when a name is exactly 2 or 100 characters, it is accepted', () => {
      expect(fieldsOf(checkContact({ ...jane, name: 'Jo' })).name).to.equal('Jo');
      expect(fieldsOf(checkContact({ ...jane, name: 'B'.repeat(100) })).name).to.equal('B'.repeat(100));
    });

    it('when a name has an apostrophe, hyphen or accent, it is accepted', () => {
      expect(fieldsOf(checkContact({ ...jane, name: "Chris O'Neill-Brontë" })).name).to.equal("Chris O'Neill-Brontë");
    });
  });

  describe('problems', () => {
    it('when the role is not one of the four, only the role is blamed and the message lists the roles', () => {
      for (const role of ['boss', 'RA Manager', 'ra agent', '']) {
        expect(checkContact({ ...jane, role }), JSON.stringify(role)).to.deep.equal({ ok: false, errors: { role: roleAdvice } });
      }
    });

    it('when the name is empty, only spaces or one character, it is too short', () => {
      for (const name of ['', '   ', 'J', '  J  ']) {
        expect(checkContact({ ...jane, name }), JSON.stringify(name)).to.deep.equal({ ok: false, errors: { name: tooShort } });
      }
    });

    it('when the name is over 100 characters, it is too long', () => {
      expect(checkContact({ ...jane, name: 'A'.repeat(101) })).to.deep.equal({ ok: false, errors: { name: tooLong } });
    });

    it('when the name has a tab, line break or other control character inside it, it is refused', () => {
      for (const name of ['Jane\tSmith', 'Jane\nSmith', 'Jane\u0007Smith', 'Jane\u007fSmith']) {
        expect(checkContact({ ...jane, name }), JSON.stringify(name)).to.deep.equal({ ok: false, errors: { name: hidden } });
      }
    });

    it('when the email is not an address, only the email is blamed', () => {
      for (const email of ['jane.smith@', 'sam patel@nhs.net', 'nope', 'jane@nhs', 'jane@@nhs.net']) {
        expect(checkContact({ ...jane, email }), JSON.stringify(email)).to.deep.equal({ ok: false, errors: { email: emailAdvice } });
      }
    });

    it('when the phone has letters, only the phone is blamed', () => {
      expect(checkContact({ ...jane, phone: '01202 ext 5' })).to.deep.equal({ ok: false, errors: { phone: phoneAdvice } });
      expect(checkContact({ ...jane, phone: '01202 54160x' })).to.deep.equal({ ok: false, errors: { phone: phoneAdvice } });
    });

    it('when the phone has 9 or 12 digits, it is not a UK number', () => {
      for (const phone of ['01202 5416', '012025416041', '+44 01202 541604']) {
        expect(checkContact({ ...jane, phone }), JSON.stringify(phone)).to.deep.equal({ ok: false, errors: { phone: phoneAdvice } });
      }
    });

    it('when the phone is written +44 (0)1202, the extra 0 makes it 12 digits and it is refused', () => {
      expect(checkContact({ ...jane, phone: '+44 (0)1202 541604' })).to.deep.equal({ ok: false, errors: { phone: phoneAdvice } });
    });

    it('when the phone starts neither 0 nor +44, it is refused', () => {
      for (const phone of ['1202 541604', '0044 1202 541604', '+33 1 23 45 67 89', '+']) {
        expect(checkContact({ ...jane, phone }), JSON.stringify(phone)).to.deep.equal({ ok: false, errors: { phone: phoneAdvice } });
      }
    });

    it('when every field is wrong, each field has its own problem', () => {
      expect(checkContact({ role: 'boss', name: 'J', email: 'nope', phone: '12' })).to.deep.equal({
        ok: false,
        errors: { role: roleAdvice, name: tooShort, email: emailAdvice, phone: phoneAdvice },
      });
    });

    it('when two fields are wrong, only those two are blamed', () => {
      const errors = errorsOf(checkContact({ ...jane, name: 'A'.repeat(101), phone: '01202 5416' }));
      expect(errors).to.deep.equal({ name: tooLong, phone: phoneAdvice });
    });

    it('when a name is both too long and has a control character, one problem is given for the name', () => {
      const errors = errorsOf(checkContact({ ...jane, name: `Jane\t${'A'.repeat(100)}` }));
      expect(Object.keys(errors)).to.deep.equal(['name']);
      expect([tooLong, hidden]).to.include(errors.name);
    });
  });
});
