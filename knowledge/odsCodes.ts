/**
 * ODS code formats (domain.md section 10). A format says what kind of organisation a code can belong to,
 * nothing more: "no structure should be derived" from the characters beyond that.
 */
export type CodeShape = 'locum' | 'pharmacy' | 'gp-practice' | 'pharmacy-hq' | 'trust' | 'trust-site' | 'icb' | 'sub-icb' | 'other';

/** The national locum pharmacy code: a virtual organisation, not a premises. */
export const locumCode = 'FFFFF';

/** A code read from what someone typed, or why it cannot be an ODS code. */
export type CodeReading = { readonly ok: true; readonly code: string; readonly shape: CodeShape } | { readonly ok: false; readonly problem: string };

const shapes: readonly (readonly [RegExp, CodeShape])[] = [
  [/^FFFFF$/, 'locum'],
  [/^F[A-Z0-9]{4}$/, 'pharmacy'],
  [/^[A-Z]\d{5}$/, 'gp-practice'],
  [/^P\d{2}[A-Z0-9]$/, 'pharmacy-hq'],
  [/^R[A-Z0-9]{2}$/, 'trust'],
  [/^R[A-Z0-9]{4}$/, 'trust-site'],
  [/^Q[A-Z0-9]{2}$/, 'icb'],
  [/^\d{2}[A-Z]$/, 'sub-icb'],
  // Sub-ICB locations (D9Y0V), newer pharmacy head offices and other sites share these shapes.
  [/^[A-Z0-9]{3}$/, 'other'],
  [/^[A-Z0-9]{5}$/, 'other'],
];

const examples = 'like FA123 for a pharmacy or A81001 for a GP practice';

/** Reads an ODS code from what someone typed ("fa 123", " A81001 "), or explains why it cannot be one. */
export function readOdsCode(typed: string): CodeReading {
  const code = typed.trim().toUpperCase().replace(/[\s-]+/g, '');
  if (code === '') return { ok: false, problem: `An ODS code is 3 to 6 letters and numbers, ${examples}.` };
  const shape = shapes.find(([pattern]) => pattern.test(code))?.[1];
  // F codes are pharmacies, a letter with only digits after it is a practice and every code has a letter: anything else in those shapes is a typo.
  if (shape && !(shape === 'other' && (code.startsWith('F') || /^[A-Z]?\d+$/.test(code)))) return { ok: true, code, shape };
  return { ok: false, problem: whyNot(code) };
}

function whyNot(code: string): string {
  const shown = code.length > 20 ? `${code.slice(0, 17)}...` : code;
  if (/[^A-Z0-9]/.test(code)) return `"${shown}" can't be an ODS code: ODS codes have only letters and numbers, ${examples}.`;
  if (/^\d{12}$/.test(code)) return `"${shown}" looks like a smartcard number (UUID), not an ODS code. ODS codes are 3 to 6 letters and numbers, ${examples}.`;
  if (/^\d+$/.test(code)) return `"${shown}" can't be an ODS code: ODS codes have letters in them, ${examples}.`;
  if (/^F[A-Z0-9]+$/.test(code)) return `"${shown}" can't be a pharmacy code: pharmacy ODS codes are F and four more letters or numbers, like FA123.`;
  if (/^[A-Z]\d+$/.test(code)) return `"${shown}" can't be a GP practice code: those are one letter and five numbers, like A81001.`;
  return `"${shown}" can't be an ODS code: they are 3 to 6 letters and numbers, ${examples}.`;
}

/**
 * Finds the ODS code someone means in a sentence ("who is the sponsor for FA123?"). A word counts when it has
 * the shape of a pharmacy, practice, trust, locum or ICB code and either holds a digit or was typed in
 * capitals, so ordinary words ("first") are not taken for codes.
 */
export function odsCodeIn(text: string): string | undefined {
  for (const word of text.split(/[^A-Za-z0-9]+/)) {
    const reading = readOdsCode(word);
    if (!reading.ok || reading.shape === 'other' || reading.shape === 'sub-icb') continue;
    if (/\d/.test(word)) return reading.code;
    // Without a digit only codes typed in capitals count, and not trust codes, which look like acronyms (RAA).
    if (word === word.toUpperCase() && reading.shape !== 'trust' && reading.shape !== 'trust-site') return reading.code;
  }
  return undefined;
}

/**
 * The code someone states ("my ODS code is fa123", "practice code: A81001", "ODS code FA12"), whatever it is, so a
 * mistyped code gets an explanation rather than being ignored. Without "is" or a colon the word after "code" counts
 * only when it holds a digit, so "add an ODS code to my card" states nothing.
 */
export function statedCode(text: string): string | undefined {
  const said = /\b(?:ods|organisation|organization|practice|pharmacy|f)\s*code\s*(?:is|=|:)\s*([^\s,.;!?]+)/i.exec(text)?.[1];
  if (said && !/^(the|a|an|my|our|not|for)$/i.test(said)) return said;
  const next = /\b(?:ods|organisation|organization|practice|pharmacy)\s*code\s+([A-Za-z0-9]+)\b/i.exec(text)?.[1];
  return next && /\d/.test(next) ? next : undefined;
}

/** A word that mixes letters and digits, so was probably meant as a code even when it cannot be one ("F12"). */
export function codeLikeIn(text: string): string | undefined {
  return text.split(/[^A-Za-z0-9]+/).find((w) => w.length >= 2 && w.length <= 10 && /[A-Za-z]/.test(w) && /\d/.test(w));
}
