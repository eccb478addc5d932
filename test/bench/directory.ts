// Benchmark: the organisation directory at the size of England. Generates seeded ODS extracts (about 8,000 GP
// practices and 22,000 pharmacies) into a temp folder, imports them through the built command line, starts the
// built bot on them (cold start, RSS at idle and after the first name search), and times look-ups by code, the
// search index build and name searches in process. Prints figures and PASS/MISS against the aims; exits 0
// unless something crashed. Run with `npm run bench:directory` (which builds first); `-- --keep` leaves the temp
// folder (extracts and data) in place for profiling.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseOdsExtract } from '../../bot/directory/odsExtract.js';
import { openLowdbDirectory } from '../../bot/storage/lowdbDirectory.js';
import type { Organisation } from '../../knowledge/organisations.js';
import { mulberry32 } from './seeded.js';

const practiceCount = 8000;
const pharmacyCount = 22000;
const seed = 20240131;
const startupRuns = 5;
const lookupCount = 10_000;
const queriesPerCategory = 100;
const warmupQueries = 20;
const aims = { importSeconds: 10, startupMs: 2000, rssMiB: 250, searchP99Ms: 20 };

const root = fileURLToPath(new URL('../../', import.meta.url));
const cliEntry = path.join(root, 'dist', 'bot', 'cli.js');
const botEntry = path.join(root, 'dist', 'bot', 'index.js');
const nodeFlags = ['--disable-warning=DEP0111'];

// ---------------------------------------------------------------------------------------------------------------
// Seeded pseudo-random numbers, so every run generates the same country.
const random = mulberry32(seed);
const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
const chance = (p: number): boolean => random() < p;
function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

// ---------------------------------------------------------------------------------------------------------------
// England: ICBs by NHS region, and real towns with their county, postcode area, district range and ICB.

/** ICB code to NHS region code (the extract's column 3). */
const icbRegions: Readonly<Record<string, string>> = {
  // South West
  QVV: 'Y58', QSL: 'Y58', QR1: 'Y58', QOX: 'Y58', QUY: 'Y58', QJK: 'Y58', QT6: 'Y58',
  // South East
  QRL: 'Y59', QNQ: 'Y59', QXU: 'Y59', QKS: 'Y59', QNX: 'Y59', QU9: 'Y59',
  // London
  QMJ: 'Y56', QMF: 'Y56', QRV: 'Y56', QKK: 'Y56', QWE: 'Y56',
  // East of England
  QUE: 'Y61', QMM: 'Y61', QJG: 'Y61', QH8: 'Y61', QM7: 'Y61', QHG: 'Y61',
  // Midlands
  QHL: 'Y60', QUA: 'Y60', QWU: 'Y60', QGH: 'Y60', QOC: 'Y60', QNC: 'Y60', QJ2: 'Y60', QT1: 'Y60', QK1: 'Y60', QJM: 'Y60', QPM: 'Y60',
  // North West
  QE1: 'Y62', QOP: 'Y62', QYG: 'Y62',
  // North East and Yorkshire
  QHM: 'Y63', QOQ: 'Y63', QWO: 'Y63', QF7: 'Y63',
};

interface Town {
  readonly name: string;
  readonly county: string;
  readonly area: string;
  readonly from: number;
  readonly to: number;
  readonly icb: string;
}

// name | county | postcode area | first district | last district | ICB
const townRows = `
POOLE|DORSET|BH|12|17|QVV
BOURNEMOUTH|DORSET|BH|1|11|QVV
DORCHESTER|DORSET|DT|1|2|QVV
WEYMOUTH|DORSET|DT|3|4|QVV
BRIDPORT|DORSET|DT|6|6|QVV
WAREHAM|DORSET|BH|20|20|QVV
CHRISTCHURCH|DORSET|BH|23|23|QVV
FERNDOWN|DORSET|BH|22|22|QVV
WIMBORNE|DORSET|BH|21|21|QVV
BLANDFORD FORUM|DORSET|DT|11|11|QVV
SHERBORNE|DORSET|DT|9|9|QVV
SWANAGE|DORSET|BH|19|19|QVV
SOUTHAMPTON|HAMPSHIRE|SO|14|19|QRL
PORTSMOUTH|HAMPSHIRE|PO|1|3|QRL
SOUTHSEA|HAMPSHIRE|PO|4|5|QRL
WINCHESTER|HAMPSHIRE|SO|22|23|QRL
BASINGSTOKE|HAMPSHIRE|RG|21|24|QRL
ANDOVER|HAMPSHIRE|SP|10|11|QRL
EASTLEIGH|HAMPSHIRE|SO|50|50|QRL
FAREHAM|HAMPSHIRE|PO|14|16|QRL
GOSPORT|HAMPSHIRE|PO|12|13|QRL
HAVANT|HAMPSHIRE|PO|9|9|QRL
RINGWOOD|HAMPSHIRE|BH|24|24|QRL
LYMINGTON|HAMPSHIRE|SO|41|41|QRL
PETERSFIELD|HAMPSHIRE|GU|31|32|QRL
NEWPORT|ISLE OF WIGHT|PO|30|30|QRL
RYDE|ISLE OF WIGHT|PO|33|33|QRL
TAUNTON|SOMERSET|TA|1|3|QSL
YEOVIL|SOMERSET|BA|20|22|QSL
BRIDGWATER|SOMERSET|TA|5|7|QSL
FROME|SOMERSET|BA|11|11|QSL
GLOUCESTER|GLOUCESTERSHIRE|GL|1|4|QR1
CHELTENHAM|GLOUCESTERSHIRE|GL|50|53|QR1
STROUD|GLOUCESTERSHIRE|GL|5|6|QR1
SWINDON|WILTSHIRE|SN|1|5|QOX
SALISBURY|WILTSHIRE|SP|1|2|QOX
BATH|AVON|BA|1|2|QOX
CHIPPENHAM|WILTSHIRE|SN|14|15|QOX
TROWBRIDGE|WILTSHIRE|BA|14|14|QOX
BRISTOL|AVON|BS|1|16|QUY
WESTON-SUPER-MARE|AVON|BS|22|24|QUY
EXETER|DEVON|EX|1|4|QJK
PLYMOUTH|DEVON|PL|1|9|QJK
TORQUAY|DEVON|TQ|1|2|QJK
BARNSTAPLE|DEVON|EX|31|32|QJK
NEWTON ABBOT|DEVON|TQ|12|12|QJK
TRURO|CORNWALL|TR|1|1|QT6
PENZANCE|CORNWALL|TR|18|18|QT6
FALMOUTH|CORNWALL|TR|11|11|QT6
ST AUSTELL|CORNWALL|PL|25|26|QT6
NEWQUAY|CORNWALL|TR|7|8|QT6
ALDERSHOT|HAMPSHIRE|GU|11|12|QNQ
FARNBOROUGH|HAMPSHIRE|GU|14|14|QNQ
CAMBERLEY|SURREY|GU|15|17|QNQ
SLOUGH|BERKSHIRE|SL|1|3|QNQ
BRACKNELL|BERKSHIRE|RG|12|12|QNQ
MAIDENHEAD|BERKSHIRE|SL|6|6|QNQ
GUILDFORD|SURREY|GU|1|4|QXU
WOKING|SURREY|GU|21|22|QXU
EPSOM|SURREY|KT|17|19|QXU
REIGATE|SURREY|RH|2|2|QXU
REDHILL|SURREY|RH|1|1|QXU
STAINES-UPON-THAMES|SURREY|TW|18|18|QXU
MAIDSTONE|KENT|ME|14|17|QKS
CANTERBURY|KENT|CT|1|4|QKS
ASHFORD|KENT|TN|23|25|QKS
MARGATE|KENT|CT|9|9|QKS
DOVER|KENT|CT|16|17|QKS
FOLKESTONE|KENT|CT|19|20|QKS
CHATHAM|KENT|ME|4|5|QKS
GILLINGHAM|KENT|ME|7|8|QKS
TUNBRIDGE WELLS|KENT|TN|1|4|QKS
DARTFORD|KENT|DA|1|2|QKS
SEVENOAKS|KENT|TN|13|15|QKS
BRIGHTON|EAST SUSSEX|BN|1|2|QNX
HOVE|EAST SUSSEX|BN|3|3|QNX
WORTHING|WEST SUSSEX|BN|11|14|QNX
EASTBOURNE|EAST SUSSEX|BN|20|23|QNX
HASTINGS|EAST SUSSEX|TN|34|35|QNX
CRAWLEY|WEST SUSSEX|RH|10|11|QNX
CHICHESTER|WEST SUSSEX|PO|18|20|QNX
HORSHAM|WEST SUSSEX|RH|12|13|QNX
BOGNOR REGIS|WEST SUSSEX|PO|21|22|QNX
OXFORD|OXFORDSHIRE|OX|1|4|QU9
READING|BERKSHIRE|RG|1|6|QU9
HIGH WYCOMBE|BUCKINGHAMSHIRE|HP|10|13|QU9
AYLESBURY|BUCKINGHAMSHIRE|HP|19|22|QU9
BANBURY|OXFORDSHIRE|OX|16|16|QU9
NEWBURY|BERKSHIRE|RG|14|14|QU9
LONDON|GREATER LONDON|N|1|22|QMJ
LONDON|GREATER LONDON|E|1|18|QMF
ROMFORD|ESSEX|RM|1|7|QMF
ILFORD|ESSEX|IG|1|6|QMF
LONDON|GREATER LONDON|W|1|14|QRV
LONDON|GREATER LONDON|NW|1|11|QRV
HARROW|MIDDLESEX|HA|1|3|QRV
SOUTHALL|MIDDLESEX|UB|1|2|QRV
UXBRIDGE|MIDDLESEX|UB|8|10|QRV
LONDON|GREATER LONDON|SE|1|28|QKK
BROMLEY|KENT|BR|1|2|QKK
LONDON|GREATER LONDON|SW|1|20|QWE
CROYDON|SURREY|CR|0|0|QWE
KINGSTON UPON THAMES|SURREY|KT|1|2|QWE
SUTTON|SURREY|SM|1|3|QWE
CAMBRIDGE|CAMBRIDGESHIRE|CB|1|5|QUE
PETERBOROUGH|CAMBRIDGESHIRE|PE|1|4|QUE
HUNTINGDON|CAMBRIDGESHIRE|PE|29|29|QUE
NORWICH|NORFOLK|NR|1|7|QMM
GREAT YARMOUTH|NORFOLK|NR|30|31|QMM
LOWESTOFT|SUFFOLK|NR|32|33|QMM
KING'S LYNN|NORFOLK|PE|30|30|QMM
IPSWICH|SUFFOLK|IP|1|4|QJG
COLCHESTER|ESSEX|CO|1|4|QJG
BURY ST EDMUNDS|SUFFOLK|IP|32|33|QJG
CHELMSFORD|ESSEX|CM|1|2|QH8
SOUTHEND-ON-SEA|ESSEX|SS|1|3|QH8
BASILDON|ESSEX|SS|14|16|QH8
WATFORD|HERTFORDSHIRE|WD|17|19|QM7
STEVENAGE|HERTFORDSHIRE|SG|1|2|QM7
ST ALBANS|HERTFORDSHIRE|AL|1|4|QM7
HARLOW|ESSEX|CM|17|20|QM7
LUTON|BEDFORDSHIRE|LU|1|4|QHG
BEDFORD|BEDFORDSHIRE|MK|40|42|QHG
MILTON KEYNES|BUCKINGHAMSHIRE|MK|1|15|QHG
BIRMINGHAM|WEST MIDLANDS|B|1|45|QHL
SOLIHULL|WEST MIDLANDS|B|90|94|QHL
WOLVERHAMPTON|WEST MIDLANDS|WV|1|14|QUA
WALSALL|WEST MIDLANDS|WS|1|9|QUA
DUDLEY|WEST MIDLANDS|DY|1|3|QUA
WEST BROMWICH|WEST MIDLANDS|B|70|71|QUA
COVENTRY|WEST MIDLANDS|CV|1|6|QWU
NUNEATON|WARWICKSHIRE|CV|10|11|QWU
RUGBY|WARWICKSHIRE|CV|21|23|QWU
WARWICK|WARWICKSHIRE|CV|34|34|QWU
WORCESTER|WORCESTERSHIRE|WR|1|5|QGH
HEREFORD|HEREFORDSHIRE|HR|1|4|QGH
REDDITCH|WORCESTERSHIRE|B|97|98|QGH
KIDDERMINSTER|WORCESTERSHIRE|DY|10|11|QGH
SHREWSBURY|SHROPSHIRE|SY|1|3|QOC
TELFORD|SHROPSHIRE|TF|1|7|QOC
STOKE-ON-TRENT|STAFFORDSHIRE|ST|1|6|QNC
STAFFORD|STAFFORDSHIRE|ST|16|18|QNC
BURTON-ON-TRENT|STAFFORDSHIRE|DE|13|15|QNC
TAMWORTH|STAFFORDSHIRE|B|77|79|QNC
DERBY|DERBYSHIRE|DE|1|24|QJ2
CHESTERFIELD|DERBYSHIRE|S|40|45|QJ2
BUXTON|DERBYSHIRE|SK|17|17|QJ2
NOTTINGHAM|NOTTINGHAMSHIRE|NG|1|11|QT1
MANSFIELD|NOTTINGHAMSHIRE|NG|18|21|QT1
NEWARK|NOTTINGHAMSHIRE|NG|24|24|QT1
LEICESTER|LEICESTERSHIRE|LE|1|5|QK1
LOUGHBOROUGH|LEICESTERSHIRE|LE|11|11|QK1
HINCKLEY|LEICESTERSHIRE|LE|10|10|QK1
LINCOLN|LINCOLNSHIRE|LN|1|6|QJM
BOSTON|LINCOLNSHIRE|PE|21|21|QJM
GRANTHAM|LINCOLNSHIRE|NG|31|31|QJM
NORTHAMPTON|NORTHAMPTONSHIRE|NN|1|5|QPM
KETTERING|NORTHAMPTONSHIRE|NN|15|16|QPM
CORBY|NORTHAMPTONSHIRE|NN|17|18|QPM
PRESTON|LANCASHIRE|PR|1|2|QE1
BLACKPOOL|LANCASHIRE|FY|1|4|QE1
BLACKBURN|LANCASHIRE|BB|1|2|QE1
BURNLEY|LANCASHIRE|BB|10|12|QE1
LANCASTER|LANCASHIRE|LA|1|1|QE1
KENDAL|CUMBRIA|LA|9|9|QE1
MANCHESTER|GREATER MANCHESTER|M|1|40|QOP
BOLTON|GREATER MANCHESTER|BL|1|3|QOP
WIGAN|GREATER MANCHESTER|WN|1|6|QOP
OLDHAM|GREATER MANCHESTER|OL|1|4|QOP
ROCHDALE|GREATER MANCHESTER|OL|11|12|QOP
STOCKPORT|GREATER MANCHESTER|SK|1|7|QOP
BURY|GREATER MANCHESTER|BL|8|9|QOP
LIVERPOOL|MERSEYSIDE|L|1|36|QYG
BIRKENHEAD|MERSEYSIDE|CH|41|43|QYG
CHESTER|CHESHIRE|CH|1|4|QYG
WARRINGTON|CHESHIRE|WA|1|5|QYG
CREWE|CHESHIRE|CW|1|2|QYG
ST HELENS|MERSEYSIDE|WA|9|11|QYG
SOUTHPORT|MERSEYSIDE|PR|8|9|QYG
NEWCASTLE UPON TYNE|TYNE AND WEAR|NE|1|7|QHM
SUNDERLAND|TYNE AND WEAR|SR|1|6|QHM
DURHAM|COUNTY DURHAM|DH|1|1|QHM
GATESHEAD|TYNE AND WEAR|NE|8|11|QHM
MIDDLESBROUGH|CLEVELAND|TS|1|8|QHM
DARLINGTON|COUNTY DURHAM|DL|1|3|QHM
CARLISLE|CUMBRIA|CA|1|3|QHM
HARTLEPOOL|CLEVELAND|TS|24|26|QHM
HULL|NORTH HUMBERSIDE|HU|1|9|QOQ
YORK|NORTH YORKSHIRE|YO|10|32|QOQ
SCARBOROUGH|NORTH YORKSHIRE|YO|11|12|QOQ
HARROGATE|NORTH YORKSHIRE|HG|1|3|QOQ
GRIMSBY|SOUTH HUMBERSIDE|DN|31|34|QOQ
LEEDS|WEST YORKSHIRE|LS|1|28|QWO
BRADFORD|WEST YORKSHIRE|BD|1|10|QWO
HUDDERSFIELD|WEST YORKSHIRE|HD|1|5|QWO
WAKEFIELD|WEST YORKSHIRE|WF|1|4|QWO
HALIFAX|WEST YORKSHIRE|HX|1|3|QWO
SHEFFIELD|SOUTH YORKSHIRE|S|1|14|QF7
DONCASTER|SOUTH YORKSHIRE|DN|1|5|QF7
ROTHERHAM|SOUTH YORKSHIRE|S|60|66|QF7
BARNSLEY|SOUTH YORKSHIRE|S|70|75|QF7
`;

const towns: Town[] = townRows
  .trim()
  .split('\n')
  .map((row) => {
    const [name = '', county = '', area = '', from = '', to = '', icb = ''] = row.split('|');
    return { name, county, area, from: Number(from), to: Number(to), icb };
  });
// Bigger places have more postcode districts and more practices and pharmacies: weight towns by district count.
const townWeights = towns.map((t) => Math.min(40, t.to - t.from + 1) + 1);
const townWeightTotal = townWeights.reduce((s, w) => s + w, 0);
function pickTown(): Town {
  let at = random() * townWeightTotal;
  for (let i = 0; i < towns.length; i++) {
    at -= townWeights[i] ?? 0;
    if (at < 0) return towns[i] ?? pick(towns);
  }
  return pick(towns);
}

const someRealSubIcbs: Readonly<Record<string, readonly string[]>> = {
  QVV: ['11J'],
  QRL: ['D9Y0V', '10R', '10X'],
  QWO: ['15F', '36J', 'X2C4Y', '03R'],
  QOP: ['00T', '00V', '01D', '14L', '00Y', '01G', '02A'],
};
const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const alphanumerics = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const subIcbsByIcb = new Map<string, readonly string[]>(
  Object.keys(icbRegions).map((icb) => {
    const known = someRealSubIcbs[icb];
    if (known) return [icb, known];
    const codes = Array.from({ length: int(1, 4) }, () =>
      chance(0.75)
        ? `${int(0, 9)}${int(0, 9)}${pick([...letters])}`
        : `${pick([...letters])}${int(0, 9)}${pick([...letters])}${int(0, 9)}${pick([...letters])}`,
    );
    return [icb, codes];
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// Names, streets and the rest of a line.

const streets = [
  'HIGH STREET', 'STATION ROAD', 'CHURCH ROAD', 'LONDON ROAD', 'VICTORIA ROAD', 'PARK ROAD', 'MARKET PLACE', 'QUEEN STREET',
  'MILL LANE', 'CHURCH STREET', 'GREEN LANE', 'MANOR ROAD', 'KINGS ROAD', 'ALBERT ROAD', 'NEW ROAD', 'BRIDGE STREET',
  'NORTH STREET', 'SOUTH STREET', 'WEST STREET', 'EAST STREET', 'THE PARADE', 'THE BROADWAY', 'CASTLE STREET', 'ASHLEY ROAD',
  'WIMBORNE ROAD', 'GEORGE STREET', 'SHEEP STREET', 'FORE STREET', 'WATERLOO ROAD', 'SCHOOL LANE', 'THE SQUARE', 'MAIN STREET',
];
const features = [
  'ABBEY', 'BRIDGE', 'CASTLE', 'ORCHARD', 'VALLEY', 'RIVERSIDE', 'PARKSIDE', 'WILLOW', 'OAKWOOD', 'ELM TREE', 'BEECHES', 'MEADOW',
  'HEATH', 'KINGSWAY', 'FAIRFIELD', 'HIGHFIELD', 'GREENWOOD', 'BROOKSIDE', 'HILLVIEW', 'LAKESIDE', 'MARINE', 'HARBOUR', 'ST JOHNS',
  'ST MARYS', 'ST PAULS', 'VICTORIA', 'ALBION', 'CROWN', 'MILLBROOK', 'NORTHGATE', 'SOUTHGATE', 'WESTGATE', 'EASTGATE', 'ASHGROVE',
  'HOLLYBANK', 'ROSEHILL', 'CEDAR', 'LINDEN', 'WOODLANDS', 'MOORSIDE', 'DOWNLAND', 'PRIORY', 'GRANGE', 'CLOCK TOWER', 'CROSSWAYS',
];
const localities = [
  'PARKSTONE', 'WESTBOURNE', 'OAKDALE', 'BRANKSOME', 'NEWTOWN', 'KINGSWOOD', 'FAIRFIELD', 'HIGHFIELD', 'NORTH END', 'SOUTHBOURNE',
  'WESTON', 'ASHLEY', 'HAMWORTHY', 'CANFORD HEATH', 'BOSCOMBE', 'WINTON', 'MOORTOWN', 'HEADINGLEY', 'DIDSBURY', 'EDGBASTON',
];
const surnames = [
  'SMITH', 'JONES', 'PATEL', 'SHAH', 'TAYLOR', 'BROWN', 'WILLIAMS', 'WILSON', 'KHAN', 'DAVIES', 'EVANS', 'THOMAS', 'JOHNSON',
  'ROBERTS', 'WALKER', 'WRIGHT', 'THOMPSON', 'WHITE', 'HUGHES', 'EDWARDS', 'GREEN', 'HALL', 'WOOD', 'HARRIS', 'CLARKE', 'MISTRY',
  'AHMED', 'SINGH', 'CHAUHAN', 'PAREKH', 'MORGAN', 'COOPER', 'KING', 'LEWIS', 'JACKSON', 'HILL', 'MOORE', 'OCONNOR', 'MURPHY',
];
const chains: readonly { name: string; weight: number; parent: string }[] = [
  { name: 'BOOTS', weight: 20, parent: 'P01A' },
  { name: 'LLOYDS PHARMACY', weight: 8, parent: 'P02B' },
  { name: 'WELL PHARMACY', weight: 5, parent: 'P03C' },
  { name: 'SUPERDRUG PHARMACY', weight: 2, parent: 'P04D' },
  { name: 'ASDA PHARMACY', weight: 2, parent: 'P05E' },
  { name: 'TESCO INSTORE PHARMACY', weight: 2, parent: 'P06F' },
  { name: 'ROWLANDS PHARMACY', weight: 3, parent: 'P07G' },
  { name: 'DAY LEWIS PHARMACY', weight: 2, parent: 'P08H' },
  { name: 'JHOOTS PHARMACY', weight: 1, parent: 'P09J' },
  { name: 'COHENS CHEMIST', weight: 1, parent: 'P10K' },
  { name: 'MORRISONS PHARMACY', weight: 1, parent: 'P11L' },
  { name: 'SAINSBURYS PHARMACY', weight: 1, parent: 'P12M' },
];
const chainWeightTotal = chains.reduce((s, c) => s + c.weight, 0);
function pickChain(): { name: string; parent: string } {
  let at = random() * chainWeightTotal;
  for (const chain of chains) {
    at -= chain.weight;
    if (at < 0) return chain;
  }
  return pick(chains);
}

function practiceName(town: Town): string {
  switch (int(0, 10)) {
    case 0: return `${pick(features)} SURGERY`;
    case 1: return `${pick(streets)} SURGERY`;
    case 2: return `${town.name} MEDICAL CENTRE`;
    case 3: return `${pick(features)} MEDICAL CENTRE`;
    case 4: return `${pick(features)} HEALTH CENTRE`;
    case 5: return `THE ${pick(features)} PRACTICE`;
    case 6: return `${pick(features)} GROUP PRACTICE`;
    case 7: return `DR ${pick(surnames)} & PARTNERS`;
    case 8: return `${pick(features)} FAMILY PRACTICE`;
    case 9: return `${pick(localities)} MEDICAL PRACTICE`;
    default: return `${town.name} HEALTH CENTRE`;
  }
}

function pharmacyName(town: Town): { name: string; parent: string } {
  if (chance(0.5)) return pickChain();
  const name = (() => {
    switch (int(0, 6)) {
      case 0: return `${pick(streets)} PHARMACY`;
      case 1: return `${town.name} PHARMACY`;
      case 2: return `${pick(surnames)} CHEMISTS`;
      case 3: return `${pick(surnames)} PHARMACY`;
      case 4: return `${pick(features)} PHARMACY`;
      case 5: return `${pick(localities)} CHEMIST`;
      default: return `${pick(surnames)}'S PHARMACY`;
    }
  })();
  return { name, parent: chance(0.3) ? `P${int(13, 99)}${pick([...alphanumerics])}` : '' };
}

// Inward codes never use C, I, K, M, O or V in their last two letters.
const inwardLetters = [...'ABDEFGHJLNPQRSTUWXYZ'];
function postcodeIn(town: Town): string {
  return `${town.area}${int(town.from, town.to)} ${int(0, 9)}${pick(inwardLetters)}${pick(inwardLetters)}`;
}

function yyyymmdd(fromYear: number, toYear: number): string {
  return `${int(fromYear, toYear)}${String(int(1, 12)).padStart(2, '0')}${String(int(1, 28)).padStart(2, '0')}`;
}

/** One extract line: 27 quoted columns, no header (see bot/directory/odsExtract.ts). */
function line(fields: readonly string[]): string {
  if (fields.length !== 27) throw new Error(`a line needs 27 columns, not ${fields.length}`);
  return fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(',');
}

interface Generated {
  readonly text: string;
  readonly codes: string[];
}

function generateExtract(kind: 'epraccur' | 'edispensary', count: number): Generated {
  const codes = new Set<string>();
  const lines: string[] = [];
  while (codes.size < count) {
    const code =
      kind === 'epraccur'
        ? `${chance(0.15) ? 'Y' : pick([...'ABCDEFGHJKLMNP'])}${String(int(0, 99999)).padStart(5, '0')}`
        : chance(0.7)
          ? `F${pick([...letters])}${String(int(0, 999)).padStart(3, '0')}`
          : `F${Array.from({ length: 4 }, () => pick([...alphanumerics])).join('')}`;
    if (codes.has(code) || code === 'FFFFF') continue;
    codes.add(code);
    const town = pickTown();
    const { name, parent } = kind === 'epraccur' ? { name: practiceName(town), parent: '' } : pharmacyName(town);
    const opened = yyyymmdd(1948, 2023);
    const closed = chance(0.03);
    const closedOn = closed ? yyyymmdd(Math.max(Number(opened.slice(0, 4)) + 1, 2000), 2025) : '';
    const commissioner = kind === 'epraccur' ? pick(subIcbsByIcb.get(town.icb) ?? ['11J']) : parent;
    lines.push(
      line([
        code,
        name,
        icbRegions[town.icb] ?? 'Y58',
        town.icb,
        `${int(1, 250)} ${pick(streets)}`,
        chance(0.3) ? pick(localities) : '',
        town.name,
        chance(0.9) ? town.county : '',
        '',
        postcodeIn(town),
        opened,
        closedOn,
        closed ? 'C' : 'A',
        'B',
        commissioner,
        opened,
        closedOn,
        `0${int(1000, 1999)} ${int(100000, 999999)}`,
        '', '', '', '', '', '', '',
        kind === 'epraccur' ? '4' : '',
        '',
      ]),
    );
  }
  return { text: `${lines.join('\r\n')}\r\n`, codes: [...codes] };
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring.

const sortedCopy = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
function percentile(xs: readonly number[], p: number): number {
  const sorted = sortedCopy(xs);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}
const median = (xs: readonly number[]): number => percentile(xs, 0.5);

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function table(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}`);
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(format(row));
}

const children = new Set<ChildProcessByStdio<null, Readable, Readable>>();

/** Runs the built command line; resolves with its wall time and output, throws when it fails. */
async function runCli(args: readonly string[], dataDir: string): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, cliEntry, ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  children.delete(child);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`cli ${args.join(' ')} exited ${code}:\n${stdout}${stderr}`);
  return { ms, stdout: stdout.trim() };
}

/** The first run's reply to the name search, to show what a person is offered. */
let sampleReply = '';

interface StartupRun {
  readonly coldMs: number;
  readonly idleRssMiB: number;
  readonly firstSearchTurnMs: number;
  readonly searchRssMiB: number;
  readonly secondSearchTurnMs: number;
}

/** Cold start of the built bot on the directory, then idle RSS, then a name search over HTTP and RSS again. */
async function startupOnce(run: number, dataDir: string): Promise<StartupRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, botEntry], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /listening on (http:\/\/\S+)\/api\/messages/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`bot exited ${code} before listening:\n${out}${stderr}`)));
    });
    const health = await fetch(`${url}/healthz`);
    if (health.status !== 200) throw new Error(`healthz ${health.status}`);
    const coldMs = performance.now() - started;
    const pid = child.pid ?? 0;
    // Idle as in test/bench/startup.ts: no traffic for a while, so lazy initialisation and GC settle.
    await sleep(3000);
    const idleRssMiB = rssMiB(pid);
    // Same conversation for both turns: the first opens the find-a-contact dialog, the second searches by name.
    const conversation = `bench-conv-${run}-${Date.now()}`;
    const turn = async (text: string) => {
      const t0 = performance.now();
      const response = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          text,
          id: `bench-${run}-${Math.random().toString(36).slice(2)}`,
          channelId: 'msteams',
          serviceUrl: 'http://127.0.0.1:9/',
          deliveryMode: 'expectReplies',
          from: { id: `bench-user-${run}`, name: 'Bench User' },
          recipient: { id: 'bot-1', name: 'Smartcard Assistant' },
          conversation: { id: conversation, conversationType: 'personal' },
        }),
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`POST "${text}" gave ${response.status}: ${body.slice(0, 300)}`);
      return { ms: performance.now() - t0, body };
    };
    await turn('find a contact');
    const first = await turn('boots poole');
    if (!/boots/i.test(first.body)) console.warn(`warning: the "boots poole" turn did not list a Boots: ${first.body.slice(0, 400)}`);
    if (run === 0) sampleReply = first.body;
    await sleep(3000);
    const searchRssMiB = rssMiB(pid);
    // A second search in a fresh dialog, now that the index is built.
    await turn('find a contact');
    const second = await turn('lloyds bournemouth');
    return { coldMs, idleRssMiB, firstSearchTurnMs: first.ms, searchRssMiB, secondSearchTurnMs: second.ms };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    children.delete(child);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Queries for the name search: exact names, misspellings, partial names, towns, postcodes and districts.

type Category = 'exact name' | 'misspelt name' | 'partial name' | 'town' | 'postcode/district';
interface Query {
  readonly category: Category;
  readonly text: string;
  /** Whether a result list is what the person was looking for. */
  readonly relevant: (results: readonly Organisation[]) => boolean;
}

function misspell(text: string, edits: number): string {
  let out = text;
  for (let e = 0; e < edits; e++) {
    const positions = [...out].map((c, i) => (/[A-Za-z]/.test(c) ? i : -1)).filter((i) => i >= 0);
    const at = pick(positions);
    const letter = pick([...letters]);
    const typed = out.charAt(at) === out.charAt(at).toLowerCase() ? letter.toLowerCase() : letter;
    out = chance(0.5) ? `${out.slice(0, at)}${out.slice(at + 1)}` : `${out.slice(0, at)}${typed}${out.slice(at + 1)}`;
  }
  return out;
}

const townOf = (o: Organisation): string => o.address.find((a) => towns.some((t) => t.name === a)) ?? '';

function makeQueries(orgs: readonly Organisation[], perCategory: number): Query[] {
  const queries: Query[] = [];
  const lower = (s: string) => (chance(0.7) ? s.toLowerCase() : s);
  const sameName = (name: string) => (results: readonly Organisation[]) => results.some((r) => r.name === name);
  for (let i = 0; i < perCategory; i++) {
    const exact = pick(orgs);
    queries.push({ category: 'exact name', text: lower(exact.name), relevant: sameName(exact.name) });

    const typo = pick(orgs);
    queries.push({ category: 'misspelt name', text: misspell(typo.name.toLowerCase(), int(1, 2)), relevant: sameName(typo.name) });

    const partial = pick(orgs);
    const word = partial.name.split(' ').find((w) => !['THE', 'DR', 'ST'].includes(w)) ?? partial.name;
    const town = townOf(partial);
    queries.push({
      category: 'partial name',
      text: i === 0 ? 'boots poole' : `${word} ${town}`.toLowerCase(),
      relevant:
        i === 0
          ? (rs) => rs.some((r) => r.name === 'BOOTS' && townOf(r) === 'POOLE')
          : (rs) => rs.some((r) => r.name.split(' ').includes(word) && townOf(r) === town),
    });

    const place = pick(towns).name;
    queries.push({ category: 'town', text: lower(place), relevant: (rs) => rs.some((r) => townOf(r) === place) });

    const located = pick(orgs);
    const postcode = located.postcode ?? 'BH12 5AG';
    const district = postcode.split(' ')[0] ?? '';
    const form = int(0, 2);
    queries.push({
      category: 'postcode/district',
      text: form === 0 ? postcode : form === 1 ? postcode.replace(' ', '').toLowerCase() : district.toLowerCase(),
      relevant: form === 2 ? (rs) => rs[0]?.postcode?.split(' ')[0] === district : (rs) => rs[0]?.postcode === postcode,
    });
  }
  return queries;
}

// ---------------------------------------------------------------------------------------------------------------
// The run.

const temp = mkdtempSync(path.join(os.tmpdir(), 'sa-bench-directory-'));
const keep = process.argv.includes('--keep');
const cleanUp = (): void => {
  for (const child of children) child.kill('SIGKILL');
  if (keep) console.log(`kept ${temp}`);
  else rmSync(temp, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

try {
  const extracts = path.join(temp, 'extracts');
  const dataDir = path.join(temp, 'data');
  mkdirSync(extracts);
  mkdirSync(dataDir);

  // 1. Generate the extracts and check the parser accepts them.
  let t0 = performance.now();
  const practices = generateExtract('epraccur', practiceCount);
  const pharmacies = generateExtract('edispensary', pharmacyCount);
  const generateMs = performance.now() - t0;
  const files = [
    { file: path.join(extracts, 'epraccur.csv'), generated: practices, expect: 'epraccur' as const },
    { file: path.join(extracts, 'edispensary.csv'), generated: pharmacies, expect: 'edispensary' as const },
  ];
  const fileRows: string[][] = [];
  for (const { file, generated, expect } of files) {
    writeFileSync(file, generated.text);
    t0 = performance.now();
    const parsed = parseOdsExtract(generated.text, new Date());
    const parseMs = performance.now() - t0;
    if (!parsed.ok) {
      throw new Error(`parseOdsExtract rejected ${path.basename(file)}:\n${parsed.problems.map((p) => `  line ${p.line}: ${p.problem}`).join('\n')}`);
    }
    if (parsed.source !== expect || parsed.organisations.length !== generated.codes.length) {
      throw new Error(`${path.basename(file)} parsed as ${parsed.source} with ${parsed.organisations.length} organisations`);
    }
    const closed = parsed.organisations.filter((o) => !o.open).length;
    fileRows.push([
      path.basename(file),
      String(parsed.organisations.length),
      String(closed),
      `${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB`,
      `${parseMs.toFixed(0)} ms`,
    ]);
  }
  console.log(`generated ${practiceCount} practices and ${pharmacyCount} pharmacies (seed ${seed}) in ${generateMs.toFixed(0)} ms, in ${temp}`);
  table('extracts (parseOdsExtract accepts both)', ['file', 'organisations', 'closed', 'size', 'parse in process'], fileRows);

  // 2. Import each file through the built command line.
  const importRows: string[][] = [];
  let importTotalMs = 0;
  for (const { file } of files) {
    const { ms, stdout } = await runCli(['directory', 'import-ods', file], dataDir);
    importTotalMs += ms;
    importRows.push([path.basename(file), `${(ms / 1000).toFixed(2)} s`, stdout]);
  }
  const organisationsFile = path.join(dataDir, 'organisations.json');
  const organisationsBytes = statSync(organisationsFile).size;
  // Importing a file again changes nothing: the cost of reading, parsing and comparing alone.
  const again = await runCli(['directory', 'import-ods', files[1]?.file ?? ''], dataDir);
  importRows.push(['total (both files)', `${(importTotalMs / 1000).toFixed(2)} s`, '']);
  importRows.push(['edispensary.csv again', `${(again.ms / 1000).toFixed(2)} s`, again.stdout]);
  const lookupCli = await runCli(['directory', 'lookup', practices.codes[0] ?? ''], dataDir);
  importRows.push([`lookup ${practices.codes[0] ?? ''} (cli)`, `${(lookupCli.ms / 1000).toFixed(2)} s`, '']);
  table('import through the CLI (node dist/bot/cli.js directory import-ods FILE; wall time, spawn to exit)', ['file', 'wall', 'output'], importRows);
  console.log(`organisations.json: ${(organisationsBytes / 1024 / 1024).toFixed(1)} MiB (${organisationsBytes} bytes)`);

  // 3. Start the built bot on the directory.
  const runs: StartupRun[] = [];
  for (let run = 0; run < startupRuns; run++) runs.push(await startupOnce(run, dataDir));
  const stat = (xs: number[], digits: number) => [median(xs), Math.min(...xs), Math.max(...xs)].map((x) => x.toFixed(digits));
  table(
    `built bot on the directory (node dist/bot/index.js), ${startupRuns} runs: median, min, max`,
    ['measure', 'median', 'min', 'max'],
    [
      ['cold start, spawn to healthy /healthz (ms)', ...stat(runs.map((r) => r.coldMs), 0)],
      ['RSS at idle, 3 s after start (MiB)', ...stat(runs.map((r) => r.idleRssMiB), 1)],
      ['"boots poole" turn, first search: builds the index (ms)', ...stat(runs.map((r) => r.firstSearchTurnMs), 0)],
      ['RSS 3 s after the first search (MiB)', ...stat(runs.map((r) => r.searchRssMiB), 1)],
      ['"lloyds bournemouth" turn, index built (ms)', ...stat(runs.map((r) => r.secondSearchTurnMs), 0)],
    ],
  );
  const titles = [...sampleReply.matchAll(/"title":"([^"]*)"/g)].map((m) => m[1]).slice(0, 6);
  if (titles.length > 0) console.log(`"boots poole" offered: ${titles.join(' | ')}`);

  // 4. In process: look-ups by code, the index build and name searches.
  const rssBefore = process.memoryUsage().rss;
  t0 = performance.now();
  const { organisations } = await openLowdbDirectory(dataDir);
  const openMs = performance.now() - t0;
  const rssOpen = process.memoryUsage().rss;
  const count = await organisations.count();
  const allCodes = [...practices.codes, ...pharmacies.codes];
  for (let i = 0; i < 200; i++) await organisations.get(pick(allCodes));
  const lookups: number[] = [];
  let missing = 0;
  for (let i = 0; i < lookupCount; i++) {
    const code = pick(allCodes);
    const s = performance.now();
    const found = await organisations.get(code);
    lookups.push(performance.now() - s);
    if (found?.code !== code) missing++;
  }
  if (missing > 0) throw new Error(`${missing} of ${lookupCount} codes were not found`);
  t0 = performance.now();
  await organisations.warm();
  const warmMs = performance.now() - t0;
  const rssWarm = process.memoryUsage().rss;

  const orgs: Organisation[] = [];
  for (const code of allCodes) {
    const org = await organisations.get(code);
    if (org) orgs.push(org);
  }
  for (const q of makeQueries(orgs, Math.ceil(warmupQueries / 5)).slice(0, warmupQueries)) await organisations.search(q.text, 5);
  const queries = makeQueries(orgs, queriesPerCategory);
  const timings = new Map<Category | 'all', number[]>();
  const hits = new Map<Category | 'all', number>();
  const slowest: { ms: number; text: string }[] = [];
  for (const q of queries) {
    const s = performance.now();
    const results = await organisations.search(q.text, 5);
    const ms = performance.now() - s;
    for (const key of [q.category, 'all'] as const) {
      timings.set(key, [...(timings.get(key) ?? []), ms]);
      if (q.relevant(results)) hits.set(key, (hits.get(key) ?? 0) + 1);
    }
    slowest.push({ ms, text: q.text });
  }
  const rssSearch = process.memoryUsage().rss;
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  table(
    `in process (openLowdbDirectory on the imported data; ${count} organisations)`,
    ['measure', 'figure'],
    [
      ['open (read and check organisations.json)', `${openMs.toFixed(0)} ms`],
      [`organisations.get, ${lookupCount} random codes: p50`, `${(percentile(lookups, 0.5) * 1000).toFixed(0)} µs`],
      ['organisations.get: p99', `${(percentile(lookups, 0.99) * 1000).toFixed(0)} µs`],
      ['organisations.get: max', `${(percentile(lookups, 1) * 1000).toFixed(0)} µs`],
      ['warm() (search index build)', `${warmMs.toFixed(0)} ms`],
      ['RSS of this process: before open / after open / after warm / after searches', `${mib(rssBefore)} / ${mib(rssOpen)} / ${mib(rssWarm)} / ${mib(rssSearch)} MiB`],
    ],
  );
  const categories: (Category | 'all')[] = ['exact name', 'misspelt name', 'partial name', 'town', 'postcode/district', 'all'];
  table(
    `organisations.search(q, 5), ${queries.length} queries after ${warmupQueries} warm-up (relevant = what was looked for is in the 5 results)`,
    ['queries', 'n', 'p50', 'p99', 'max', 'relevant'],
    categories.map((c) => {
      const xs = timings.get(c) ?? [];
      return [
        c,
        String(xs.length),
        `${percentile(xs, 0.5).toFixed(2)} ms`,
        `${percentile(xs, 0.99).toFixed(2)} ms`,
        `${percentile(xs, 1).toFixed(2)} ms`,
        `${(((hits.get(c) ?? 0) * 100) / Math.max(1, xs.length)).toFixed(0)}%`,
      ];
    }),
  );
  console.log(
    `slowest searches: ${slowest
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map((s) => `"${s.text}" ${s.ms.toFixed(1)} ms`)
      .join(', ')}`,
  );

  // 5. Aims and the summary line.
  const all = timings.get('all') ?? [];
  const importS = importTotalMs / 1000;
  const startupMedian = median(runs.map((r) => r.coldMs));
  const idleRss = median(runs.map((r) => r.idleRssMiB));
  const searchRss = median(runs.map((r) => r.searchRssMiB));
  const maxRss = Math.max(...runs.map((r) => Math.max(r.idleRssMiB, r.searchRssMiB)));
  const searchP50 = percentile(all, 0.5);
  const searchP99 = percentile(all, 0.99);
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  table(
    'aims',
    ['aim', 'figure', 'result'],
    [
      [`import both files under ${aims.importSeconds} s`, `${importS.toFixed(1)} s`, verdict(importS < aims.importSeconds)],
      [`start-up (median) under ${aims.startupMs / 1000} s`, `${startupMedian.toFixed(0)} ms`, verdict(startupMedian < aims.startupMs)],
      [`RSS (highest of any run, idle or after search) under ${aims.rssMiB} MB`, `${maxRss.toFixed(1)} MB`, verdict(maxRss < aims.rssMiB)],
      [`name search p99 under ${aims.searchP99Ms} ms`, `${searchP99.toFixed(2)} ms`, verdict(searchP99 < aims.searchP99Ms)],
    ],
  );
  console.log('(MB here is MiB, 1,048,576 bytes, as in test/bench/startup.ts; RSS is from the spawned bot, medians over the runs)');
  console.log(
    `directory: import ${practiceCount}+${pharmacyCount} orgs ${importS.toFixed(1)}s, startup median ${startupMedian.toFixed(0)} ms, ` +
      `RSS idle ${idleRss.toFixed(0)} MB / after search ${searchRss.toFixed(0)} MB, lookup p99 ${(percentile(lookups, 0.99) * 1000).toFixed(0)} µs, ` +
      `search p50 ${searchP50.toFixed(2)} ms p99 ${searchP99.toFixed(2)} ms`,
  );
} finally {
  cleanUp();
}
