import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { renderFormCard } from '../../cards/formCard.js';
import type { AdaptiveCardJson } from '../../cards/render.js';
import { formCardData } from '../../dialogs/formView.js';
import { checkForm, inputLength, parseForms, type FormDefinition, type FormField } from '../../knowledge/forms.js';
import { parseRaTeams } from '../../knowledge/raTeams.js';
import { parseSources } from '../../knowledge/sources.js';
import { optionLists } from '../../knowledge/venues.js';
import { validateCard } from '../support/validateCard.js';

const formsDir = fileURLToPath(new URL('../../knowledge/forms', import.meta.url));
const sources = parseSources(JSON.parse(readFileSync(fileURLToPath(new URL('../../knowledge/data/sources.json', import.meta.url)), 'utf8')) as unknown);
const raTeams = parseRaTeams(JSON.parse(readFileSync(fileURLToPath(new URL('../../knowledge/data/raTeams.json', import.meta.url)), 'utf8')) as unknown, sources);
const forms = parseForms(
  readdirSync(formsDir)
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => ({ file: `forms/${n}`, data: parseYaml(readFileSync(path.join(formsDir, n), 'utf8')) as unknown })),
  sources,
  optionLists(raTeams),
);
const now = new Date('2026-11-21T10:00:00Z');
const problem = 'Please correct the fields marked below.';

type Node = Record<string, unknown>;

/** Each field's container on the card: its heading, input, hint and problem. */
function containers(card: AdaptiveCardJson): Node[] {
  return (card.body as Node[]).filter((n) => n['type'] === 'Container');
}

function fieldContainer(card: AdaptiveCardJson, id: string): Node[] {
  const found = containers(card).find((c) => (c['items'] as Node[]).some((i) => i['id'] === id));
  if (!found) throw new Error(`no input ${id} on the card`);
  return found['items'] as Node[];
}

function inputOf(card: AdaptiveCardJson, id: string): Node {
  const input = fieldContainer(card, id).find((i) => i['id'] === id);
  if (!input) throw new Error(id);
  return input;
}

/** Something a person might type in each kind of field; some of it is wrong on purpose (a 4-digit UUID, a bad ODS code). */
function typedFor(field: FormField): string {
  switch (field.type) {
    case 'text':
      return ` Typed ${field.id} `;
    case 'longText':
      return 'Some words\nover two lines';
    case 'email':
      return 'Jo.Bloggs@nhs.net';
    case 'phone':
      return '01202 123456';
    case 'date':
      return '2026-11-20';
    case 'choice':
      return field.options[0]?.value ?? '';
    case 'yesNo':
      return 'true';
    case 'odsCode':
      return 'F12';
    case 'odsCodes':
      return 'fa123, F12';
    case 'uuid':
      return '1234';
    case 'gphc':
      return '2012345';
    case 'url':
      return 'http://meet.example.org/not-secure';
    case 'time':
      return '09:30';
    case 'number':
      return String(field.max + 1);
  }
}

/** An input's value as the form holds it: Input.Number's is a number. */
function shownValue(value: unknown): unknown {
  return typeof value === 'number' ? String(value) : value;
}

function reShown(form: FormDefinition): { card: AdaptiveCardJson; values: Readonly<Record<string, string>>; errors: Readonly<Record<string, string>> } {
  const check = checkForm(form, Object.fromEntries(form.fields.map((f) => [f.id, typedFor(f)])), now);
  if (check.ok) throw new Error(`${form.id}: expected problems`);
  return { card: renderFormCard(formCardData(form, check.values, check.errors, problem)), values: check.values, errors: check.errors };
}

describe('cards: request forms', () => {
  it('there are forms to show', () => {
    expect(forms.length).to.be.at.least(9);
  });

  for (const form of forms) {
    describe(form.id, () => {
      it('the empty card has zero validation events, is under 28 KB and has one input per field, required as defined', () => {
        const card = renderFormCard(formCardData(form));
        expect(validateCard(card)).to.deep.equal([]);
        expect(Buffer.byteLength(JSON.stringify(card))).to.be.below(28 * 1024);
        expect(containers(card)).to.have.length(form.fields.length);
        for (const field of form.fields) {
          const input = inputOf(card, field.id);
          expect(input['label'], field.id).to.equal(field.label);
          expect(input['isRequired'], field.id).to.equal(field.required);
          expect(input['value'] ?? '', field.id).to.equal('');
          expect(fieldContainer(card, field.id).some((i) => i['color'] === 'Attention'), field.id).to.equal(false);
        }
        expect(card.actions).to.deep.equal([{ type: 'Action.Submit', title: form.submitTitle ?? 'Send to the RA team', data: { verb: 'form.submit', form: form.id, draft: '' } }]);
      });

      it('the card shows the title and each line of the introduction as its own paragraph', () => {
        const texts = (renderFormCard(formCardData(form)).body as Node[]).filter((n) => n['type'] === 'TextBlock').map((n) => n['text']);
        expect(texts[0]).to.equal(form.title);
        const lines = (form.intro ?? '').split('\n').filter((l) => l.trim() !== '');
        expect(texts.slice(1)).to.deep.equal(lines);
      });

      it('re-shown with problems, it validates, keeps every typed value and shows each problem next to its field', () => {
        const { card, values, errors } = reShown(form);
        expect(validateCard(card)).to.deep.equal([]);
        expect(Buffer.byteLength(JSON.stringify(card))).to.be.below(28 * 1024);
        expect(Object.keys(errors).length).to.be.at.least(1);
        expect((card.body as Node[]).some((n) => n['text'] === problem && n['color'] === 'Attention')).to.equal(true);
        for (const field of form.fields) {
          expect(shownValue(inputOf(card, field.id)['value']), field.id).to.equal(values[field.id]);
          const shown = fieldContainer(card, field.id).filter((i) => i['color'] === 'Attention').map((i) => i['text']);
          expect(shown, field.id).to.deep.equal(errors[field.id] === undefined ? [] : [errors[field.id]]);
        }
      });

      it('the problem comes after the input, under it', () => {
        const { card, errors } = reShown(form);
        for (const id of Object.keys(errors)) {
          const items = fieldContainer(card, id);
          expect(items.findIndex((i) => i['color'] === 'Attention'), id).to.be.greaterThan(items.findIndex((i) => i['id'] === id));
        }
      });

      it('even with every field full and a problem on each, the card is valid and under 28 KB', () => {
        const values = Object.fromEntries(form.fields.map((f) => [f.id, 'W'.repeat(inputLength(f))]));
        const errors = Object.fromEntries(form.fields.map((f) => [f.id, `${f.label}: ${'this is what is wrong with it. '.repeat(5)}`]));
        const card = renderFormCard(formCardData(form, values, errors, problem));
        expect(validateCard(card)).to.deep.equal([]);
        expect(Buffer.byteLength(JSON.stringify(card))).to.be.below(28 * 1024);
      });
    });
  }

  describe('how field types are shown', () => {
    const byType = new Map<string, { form: FormDefinition; field: FormField }>();
    for (const form of forms) for (const field of form.fields) if (!byType.has(field.type)) byType.set(field.type, { form, field });

    const expected: Readonly<Record<string, Node>> = {
      text: { type: 'Input.Text', style: 'Text' },
      longText: { type: 'Input.Text', isMultiline: true },
      email: { type: 'Input.Text', style: 'Email', maxLength: 254 },
      phone: { type: 'Input.Text', style: 'Tel' },
      date: { type: 'Input.Date' },
      choice: { type: 'Input.ChoiceSet', style: 'compact' },
      yesNo: { type: 'Input.ChoiceSet', style: 'expanded', choices: [{ title: 'Yes', value: 'true' }, { title: 'No', value: 'false' }] },
      odsCode: { type: 'Input.Text', style: 'Text', maxLength: 10 },
      odsCodes: { type: 'Input.Text', style: 'Text' },
      uuid: { type: 'Input.Text', style: 'Text', maxLength: 20 },
      gphc: { type: 'Input.Text', style: 'Text', maxLength: 12 },
      url: { type: 'Input.Text', style: 'Url', maxLength: 500 },
      time: { type: 'Input.Time' },
      number: { type: 'Input.Number' },
    };
    for (const [type, shape] of Object.entries(expected)) {
      it(`${type}`, () => {
        const found = byType.get(type);
        if (!found) throw new Error(`no shipped form has a ${type} field`);
        const input = inputOf(renderFormCard(formCardData(found.form)), found.field.id);
        expect(input).to.deep.include(shape);
      });
    }

    it('a choice lists its options', () => {
      const form = forms.find((f) => f.id === 'lost-card');
      if (!form) throw new Error('lost-card');
      expect(inputOf(renderFormCard(formCardData(form)), 'what')['choices']).to.deep.equal([
        { title: 'Lost', value: 'lost' },
        { title: 'Stolen', value: 'stolen' },
        { title: 'Damaged or broken', value: 'damaged' },
      ]);
    });

    it('text inputs take at most their field’s length', () => {
      const form = forms.find((f) => f.id === 'general-question');
      if (!form) throw new Error('general-question');
      expect(inputOf(renderFormCard(formCardData(form)), 'question')['maxLength']).to.equal(2000);
    });

    it('the ID checks card groups each document under a heading', () => {
      const form = forms.find((f) => f.id === 'id-checks');
      if (!form) throw new Error('id-checks');
      const card = renderFormCard(formCardData(form));
      for (const n of [1, 2, 3]) expect(fieldContainer(card, `doc${n}Type`)[0]).to.deep.include({ type: 'TextBlock', text: `Document ${n}`, weight: 'Bolder' });
      expect(fieldContainer(card, 'doc1PassportNumber').filter((i) => i['type'] === 'TextBlock' && i['weight'] === 'Bolder')).to.deep.equal([]);
    });
  });

  describe('forged values never change the card’s shape', () => {
    const form = forms.find((f) => f.id === 'lost-card');
    if (!form) throw new Error('lost-card');

    it('a date that is not a date, and a choice that is not an option, are shown empty', () => {
      const card = renderFormCard(formCardData(form, { noticed: 'yesterday', what: 'evil', replacement: 'perhaps' }, {}, ''));
      expect(validateCard(card)).to.deep.equal([]);
      expect(inputOf(card, 'noticed')['value']).to.equal('');
      expect(inputOf(card, 'what')['value']).to.equal('');
      expect(inputOf(card, 'replacement')['value']).to.equal('');
    });

    it('template expressions typed into a field are shown as typed, not evaluated', () => {
      const card = renderFormCard(formCardData(form, { holderName: '${title}', details: '${$root.formId} {{x}}' }, {}, ''));
      expect(inputOf(card, 'holderName')['value']).to.equal('${title}');
      expect(inputOf(card, 'details')['value']).to.equal('${$root.formId} {{x}}');
    });

    it('values longer than the input are cut to its length, and keys that are not fields are ignored', () => {
      const card = renderFormCard(formCardData(form, { holderName: 'x'.repeat(100_000), __proto__: 'p', nothing: 'n' }, { nothing: 'no field' }, ''));
      expect(inputOf(card, 'holderName')['value']).to.have.length(100);
      expect(JSON.stringify(card)).not.to.include('no field');
      expect(validateCard(card)).to.deep.equal([]);
    });
  });
});
