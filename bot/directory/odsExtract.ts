import { parse } from 'csv-parse/sync';
import type { CsvError } from 'csv-parse/sync';
import { readOdsCode } from '../../knowledge/odsCodes.js';
import { normalisePostcode } from '../../knowledge/organisations.js';
import type { Organisation } from '../../knowledge/organisations.js';

/** Something wrong with one line of an uploaded file; line 0 means the file as a whole. */
export interface LineProblem {
  /** 1-based, as an editor shows it. */
  readonly line: number;
  readonly problem: string;
}

/** The organisations in an ODS extract, or every problem that stops it being imported. */
export type OdsExtractResult =
  | { readonly ok: true; readonly organisations: Organisation[]; readonly source: 'epraccur' | 'edispensary' }
  | { readonly ok: false; readonly problems: LineProblem[] };

/** One CSV record and the line of the file it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
}

// An RA team member reads these lists; past this many, fixing the first ones usually fixes the rest.
const maxProblems = 50;
const maxShown = 40;
const newlineByte = 0x0a;

/** A value as a problem text shows it: in double quotes, cut short when long. */
export function quoted(value: string): string {
  return `"${value.length > maxShown ? `${value.slice(0, maxShown - 3)}...` : value}"`;
}

/** Problems in line order, capped so a wholly wrong file gives a readable list rather than thousands of lines. */
export function limitProblems(problems: readonly LineProblem[]): LineProblem[] {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  if (sorted.length <= maxProblems) return sorted;
  const more = sorted.length - maxProblems;
  return [...sorted.slice(0, maxProblems), { line: 0, problem: `and ${more} more ${more === 1 ? 'problem' : 'problems'}` }];
}

const closingQuoteGot = /got "(.*)" at line/;

/** Where each line of a text starts, so records can be given the lines an editor would show. */
class LineMap {
  private readonly newlines: number[] = [];
  readonly lastLine: number;

  constructor(private readonly bytes: Buffer) {
    for (let at = bytes.indexOf(newlineByte); at !== -1; at = bytes.indexOf(newlineByte, at + 1)) this.newlines.push(at);
    this.lastLine = bytes.length === 0 ? 0 : this.lineOf(bytes.length - 1);
  }

  /** The 1-based line holding the byte at `offset`. */
  lineOf(offset: number): number {
    let low = 0;
    let high = this.newlines.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.newlines[middle] ?? Infinity) < offset) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  }

  /** True when the line has nothing before its line break, which is what csv-parse skips as empty. */
  isEmpty(line: number): boolean {
    const start = line === 1 ? 0 : (this.newlines[line - 2] ?? this.bytes.length) + 1;
    const first = this.bytes[start];
    return first === undefined || first === newlineByte || (first === 0x0d && this.bytes[start + 1] === newlineByte);
  }
}

const baseOptions = { relax_column_count: true, skip_empty_lines: true } as const;

/** Whitespace-only lines are blank to a person, though csv-parse makes them one-field records. */
function isBlankRecord(fields: readonly string[]): boolean {
  return fields.length === 1 && (fields[0] ?? '').trim() === '';
}

/**
 * Splits CSV text into records with the line each starts on, leaving out blank lines and turning csv-parse's
 * syntax errors into line problems, so a caller can check every record and report everything at once.
 */
export function readCsvRecords(text: string): { records: CsvRecord[]; problems: LineProblem[] } {
  // The BOM comes off here rather than through csv-parse's `bom` option so byte offsets match the text.
  const bytes = Buffer.from(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, 'utf8');
  const lines = new LineMap(bytes);
  const quick = recordsOnSingleLines(bytes, lines);
  return quick === undefined ? recordsWithErrors(bytes, lines) : { records: quick, problems: [] };
}

/**
 * The records of a well-formed file where every record is one line, which is what ODS publishes; undefined
 * otherwise. Asking csv-parse for each record's position costs it about a quarter more time, so this path
 * numbers the records by counting the non-empty lines instead.
 */
function recordsOnSingleLines(bytes: Buffer, lines: LineMap): CsvRecord[] | undefined {
  let rows: string[][];
  try {
    rows = parse(bytes, baseOptions);
  } catch {
    return undefined;
  }
  const records: CsvRecord[] = [];
  let line = 1;
  for (const fields of rows) {
    for (const field of fields) if (field.includes('\n') || field.includes('\r')) return undefined;
    while (line <= lines.lastLine && lines.isEmpty(line)) line++;
    if (line > lines.lastLine) return undefined;
    if (!isBlankRecord(fields)) records.push({ line, fields });
    line++;
  }
  // Lines left over mean records and lines did not pair up after all (a lone CR as a line break, say).
  while (line <= lines.lastLine) if (!lines.isEmpty(line++)) return undefined;
  return records;
}

/** Every readable record with its line, and a problem for each line csv-parse could not read. */
function recordsWithErrors(bytes: Buffer, lines: LineMap): { records: CsvRecord[]; problems: LineProblem[] } {
  const records: CsvRecord[] = [];
  const problems: LineProblem[] = [];
  // Lines are counted from byte offsets because csv-parse's own count goes wrong after a CRLF inside quotes;
  // `drift` is how far off it is, to correct the lines its errors give.
  let drift = 0;
  let lineDone = 0;
  // Whether csv-parse has complained since the last good record: its first complaint is about the record
  // after that one, which may have started lines before the complaint.
  let complainedSinceRecord = false;
  let lastProblemLine = -1;
  const report = (line: number, problem: string): void => {
    // csv-parse can raise several errors while it recovers from one bad quote; one per line is enough.
    complainedSinceRecord = true;
    if (line === lastProblemLine) return;
    lastProblemLine = line;
    lineDone = Math.max(lineDone, line);
    problems.push({ line, problem });
  };
  const nextRecordLine = (): number => {
    let line = lineDone + 1;
    while (line < lines.lastLine && lines.isEmpty(line)) line++;
    return Math.min(line, lines.lastLine);
  };

  const onSkip = (error: CsvError | undefined): undefined => {
    if (error === undefined) return;
    const reportedLine = typeof error.lines === 'number' ? Math.min(error.lines - drift, lines.lastLine) : lineDone + 1;
    const column = typeof error.column === 'number' ? error.column + 1 : undefined;
    const inColumn = column === undefined ? '' : ` in column ${column}`;
    switch (error.code) {
      case 'CSV_QUOTE_NOT_CLOSED': {
        // csv-parse reports this at the end of the file; the quote was opened where the unread record starts.
        const start = nextRecordLine();
        const rest = lines.lastLine > start ? ` and everything after it, to line ${lines.lastLine},` : '';
        report(start, `a quote mark${inColumn} is never closed, so this line${rest} can't be read`);
        return;
      }
      case 'CSV_INVALID_CLOSING_QUOTE': {
        const got = closingQuoteGot.exec(error.message)?.[1];
        const after = got === undefined ? 'by something other than a comma' : `by ${quoted(got)} instead of a comma`;
        const start = complainedSinceRecord ? reportedLine : nextRecordLine();
        if (start < reportedLine) {
          // A quote left open swallows line breaks until the next quote mark, so point at where it was opened.
          report(start, `a quote mark${inColumn} is not closed on this line; the next one, on line ${reportedLine}, is followed ${after}`);
        } else {
          report(reportedLine, `a closing quote mark${inColumn} is followed ${after}; a quote mark inside a value must be doubled ("")`);
        }
        return;
      }
      case 'INVALID_OPENING_QUOTE': {
        const field = typeof error.field === 'string' ? ` after ${quoted(error.field)}` : '';
        report(reportedLine, `there is a quote mark${inColumn}${field}; a quote mark can only start a value, or be doubled ("") inside a quoted one`);
        return;
      }
      default:
        report(reportedLine, `this line can't be read as comma-separated values (${error.message})`);
    }
  };

  try {
    parse(bytes, {
      ...baseOptions,
      skip_records_with_error: true,
      on_skip: onSkip,
      on_record: (fields, context) => {
        const endLine = lines.lineOf(context.bytes - 1);
        drift = context.lines - endLine;
        lineDone = Math.max(lineDone, endLine);
        complainedSinceRecord = false;
        let spanned = 0;
        for (const field of fields) {
          for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) spanned++;
        }
        if (!isBlankRecord(fields)) records.push({ line: endLine - spanned, fields });
        return null;
      },
    });
  } catch (error) {
    // skip_records_with_error makes csv-parse report rather than throw; this is for anything it cannot skip.
    const line = error instanceof Error && 'lines' in error && typeof error.lines === 'number' ? error.lines - drift : 0;
    report(line, `the file can't be read as comma-separated values (${error instanceof Error ? error.message : String(error)})`);
  }
  return { records, problems };
}

const columnCount = 27;
const icbPattern = /^Q[A-Z0-9]{2}$/;
const subIcbPattern = /^(?:[A-Z0-9]{3}|[A-Z0-9]{5})$/;
const datePattern = /^\d{8}$/;
const statuses = 'A (active), C (closed), D (dormant), P (proposed), ACTIVE or INACTIVE';
const openByStatus: ReadonlyMap<string, boolean> = new Map([
  ['A', true],
  ['ACTIVE', true],
  ['C', false],
  ['D', false],
  ['P', false],
  ['INACTIVE', false],
]);
// Prescribing setting 4 is a GP practice in the legacy files and RO76 in Data Search & Export ones.
const practiceSettings: ReadonlySet<string> = new Set(['', '4', 'RO76']);
const fileTitles = {
  epraccur: 'an epraccur file of GP practices',
  edispensary: 'an edispensary file of pharmacies',
} as const;

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** "20240131" as "2024-01-31", or undefined when it is not a real date in ODS's YYYYMMDD form. */
function isoDate(text: string): string | undefined {
  if (!datePattern.test(text)) return undefined;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : daysInMonth[month - 1];
  if (days === undefined || day < 1 || day > days) return undefined;
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
}

/** The trimmed text of a 1-based column. */
function column(fields: readonly string[], n: number): string {
  return (fields[n - 1] ?? '').trim();
}

/** What the lines so far say the file is: the first pharmacy or practice code decides. */
interface FileKind {
  readonly source: 'epraccur' | 'edispensary';
  readonly line: number;
  readonly code: string;
}

/**
 * Reads an NHS ODS epraccur (GP practices) or edispensary (pharmacies) extract as published (domain.md
 * section 10), returning every organisation, or every problem found when any line is wrong.
 */
export function parseOdsExtract(text: string, importedAt: Date): OdsExtractResult {
  const { records, problems } = readCsvRecords(text);
  if (records.length === 0 && problems.length === 0) return { ok: false, problems: [{ line: 0, problem: 'the file has no organisations' }] };

  const updatedAt = importedAt.toISOString();
  const organisations: Organisation[] = [];
  const firstLineOf = new Map<string, number>();
  let decided: FileKind | undefined;

  for (const { line, fields } of records) {
    if (fields.length !== columnCount) {
      // The columns may have shifted, so nothing else on the line can be trusted enough to check.
      problems.push({ line, problem: `has ${fields.length} ${fields.length === 1 ? 'column' : 'columns'}; an ODS extract has ${columnCount}` });
      continue;
    }

    const typedCode = column(fields, 1);
    const reading = readOdsCode(typedCode);
    let code: string | undefined;
    if (!reading.ok) {
      problems.push({ line, problem: typedCode === '' ? `the organisation code (column 1) is empty. ${reading.problem}` : reading.problem });
    } else if (reading.shape === 'locum') {
      problems.push({ line, problem: 'FFFFF is the virtual locum code, not a premises' });
    } else if (reading.shape !== 'pharmacy' && reading.shape !== 'gp-practice') {
      problems.push({
        line,
        problem: `${reading.code} is not a pharmacy or GP practice code; the directory imports edispensary (pharmacies) and epraccur (GP practices) extracts`,
      });
    } else {
      code = reading.code;
      const source = reading.shape === 'pharmacy' ? 'edispensary' : 'epraccur';
      decided ??= { source, line, code };
      if (source !== decided.source) {
        const what = source === 'edispensary' ? 'a pharmacy code' : 'a GP practice code';
        problems.push({ line, problem: `${code} is ${what}, but this is ${fileTitles[decided.source]} (line ${decided.line} has ${decided.code})` });
      }
      const earlier = firstLineOf.get(code);
      if (earlier === undefined) firstLineOf.set(code, line);
      else problems.push({ line, problem: `${code} is also on line ${earlier}` });
    }

    const name = column(fields, 2);
    if (name === '') problems.push({ line, problem: 'the name (column 2) is empty' });

    const typedIcb = column(fields, 4);
    const icb = typedIcb.toUpperCase();
    if (icb !== '' && !icbPattern.test(icb)) {
      problems.push({ line, problem: `${quoted(typedIcb)} in column 4 is not an ICB code; ICB codes are Q and two more letters or numbers, like QVV` });
    }

    const typedPostcode = column(fields, 10);
    const postcode = typedPostcode === '' ? undefined : normalisePostcode(typedPostcode);
    if (typedPostcode !== '' && postcode === undefined) problems.push({ line, problem: `${quoted(typedPostcode)} in column 10 is not a UK postcode` });

    const openDate = column(fields, 11);
    if (openDate !== '' && isoDate(openDate) === undefined) {
      problems.push({ line, problem: `the open date (column 11) ${quoted(openDate)} is not a real date written YYYYMMDD, like 20240131` });
    }
    const closeDate = column(fields, 12);
    const closedOn = closeDate === '' ? undefined : isoDate(closeDate);
    if (closeDate !== '' && closedOn === undefined) {
      problems.push({ line, problem: `the close date (column 12) ${quoted(closeDate)} is not a real date written YYYYMMDD, like 20240131` });
    }

    const typedStatus = column(fields, 13);
    const open = openByStatus.get(typedStatus.toUpperCase());
    if (open === undefined) {
      problems.push({
        line,
        problem:
          typedStatus === ''
            ? `the status (column 13) is empty; it should be ${statuses}`
            : `the status (column 13) ${quoted(typedStatus)} is not one ODS uses: ${statuses}`,
      });
    }

    const typedCommissioner = column(fields, 15);
    const commissioner = typedCommissioner.toUpperCase();
    const source = decided?.source;
    if (source === 'epraccur' && commissioner !== '' && !subIcbPattern.test(commissioner)) {
      problems.push({
        line,
        problem: `${quoted(typedCommissioner)} in column 15 is not a sub-ICB code; those are 3 or 5 letters and numbers, like 11J or D9Y0V`,
      });
    }

    // Once the file has a problem nothing will be returned, so building organisations would be wasted work.
    if (problems.length > 0 || code === undefined || source === undefined || open === undefined) continue;
    const address: string[] = [];
    for (let n = 5; n <= 9; n++) {
      const addressLine = column(fields, n);
      if (addressLine !== '') address.push(addressLine);
    }
    const kind = source === 'edispensary' ? 'pharmacy' : practiceSettings.has(column(fields, 26).toUpperCase()) ? 'gp-practice' : 'prescribing-centre';
    organisations.push({
      code,
      name,
      kind,
      address,
      ...(postcode === undefined ? {} : { postcode }),
      ...(icb === '' ? {} : { icb }),
      ...(source === 'epraccur' && commissioner !== '' ? { subIcb: commissioner } : {}),
      ...(source === 'edispensary' && commissioner !== '' ? { parent: commissioner } : {}),
      open,
      ...(closedOn === undefined ? {} : { closedOn }),
      source,
      updatedAt,
    });
  }

  if (problems.length > 0) return { ok: false, problems: limitProblems(problems) };
  // With no problems every line had a good code, so the kind was decided; the fallback only satisfies the type.
  return { ok: true, organisations, source: decided?.source ?? 'epraccur' };
}
