#!/usr/bin/env node
// Generates the Unicode property tables kf_text needs from a UCD directory (Debian unicode-data, UCD 15.0).
// Usage: node gen_unicode_tables.mjs <ucd-dir> <output.inc>
//
// Several properties deliberately follow OLDER Unicode versions, because that is what Hugging Face tokenizers
// (0.23) runs and byte-exact tokenization is the goal:
//  - is_other / is_punctuation / is_mark_nonspacing come from the crate unicode_categories 0.1.1, whose tables
//    are Unicode 8.0 general categories (is_other = Cc|Cf|Co; Cn and Cs are not included).
//  - NFD (strip_accents) and the NFC/NFKC/NFKD normalizers come from unicode-normalization-alignments 0.1.12,
//    built on Unicode 9.0.
//  - White_Space, lowercase mapping and \w (Rust std / regex) are recent Unicode: taken from this UCD as is.
// Older versions are reconstructed from this UCD with DerivedAge.txt (characters assigned after the version are
// left out); decompositions and combining classes never change for assigned characters (normalization
// stability policy), so that reconstruction is exact for NFD. General categories can change, so the changes
// between 8.0 and this UCD that touch Cc/Cf/Co/P*/Mn are listed below (checked against the crate's tables).
import fs from 'node:fs';
import path from 'node:path';

const [ucdDir, outFile] = process.argv.slice(2);
if (!ucdDir || !outFile) {
  console.error('usage: gen_unicode_tables.mjs <ucd-dir> <output.inc>');
  process.exit(2);
}
const MAX_CP = 0x110000;
const read = (name) => fs.readFileSync(path.join(ucdDir, name), 'utf8');

// Parses "XXXX..YYYY ; value # comment" lines (PropList, DerivedAge, DerivedCoreProperties).
function parseRanges(text, callback) {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [range, value] = line.split(';').map((s) => s.trim());
    const [a, b] = range.split('..').map((h) => parseInt(h, 16));
    callback(a, b === undefined ? a : b, value);
  }
}

// --- UnicodeData.txt: general category, canonical decomposition, ccc, simple lowercase -------------------
const GC_NAMES = ['Cn', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'Mn', 'Mc', 'Me', 'Nd', 'Nl', 'No', 'Pc', 'Pd', 'Ps', 'Pe',
  'Pi', 'Pf', 'Po', 'Sm', 'Sc', 'Sk', 'So', 'Zs', 'Zl', 'Zp', 'Cc', 'Cf', 'Cs', 'Co'];
const gc = new Array(MAX_CP).fill('Cn');
const ccc = new Map();
const canonicalDecomposition = new Map();
const simpleLower = new Map();
const compatibilityDecomposition = new Map();  // <tag> mappings only
{
  let rangeStart = -1;
  for (const line of read('UnicodeData.txt').split('\n')) {
    if (!line) continue;
    const f = line.split(';');
    const cp = parseInt(f[0], 16);
    if (f[1].endsWith(', First>')) {
      rangeStart = cp;
      continue;
    }
    const first = f[1].endsWith(', Last>') ? rangeStart : cp;
    for (let c = first; c <= cp; c++) gc[c] = f[2];
    if (f[3] !== '0') ccc.set(cp, parseInt(f[3], 10));
    if (f[5] && !f[5].startsWith('<')) canonicalDecomposition.set(cp, f[5].split(' ').map((h) => parseInt(h, 16)));
    if (f[5] && f[5].startsWith('<')) {
      compatibilityDecomposition.set(cp, f[5].replace(/^<[^>]*> /, '').split(' ').map((h) => parseInt(h, 16)));
    }
    if (f[13]) simpleLower.set(cp, parseInt(f[13], 16));
  }
}

const age = new Float64Array(MAX_CP).fill(Infinity);
parseRanges(read('DerivedAge.txt'), (a, b, v) => {
  for (let c = a; c <= b; c++) age[c] = parseFloat(v);
});

const whiteSpace = new Uint8Array(MAX_CP);
const joinControl = new Uint8Array(MAX_CP);
parseRanges(read('PropList.txt'), (a, b, v) => {
  for (let c = a; c <= b; c++) {
    if (v === 'White_Space') whiteSpace[c] = 1;
    if (v === 'Join_Control') joinControl[c] = 1;
  }
});
const fullCompositionExclusion = new Uint8Array(MAX_CP);
parseRanges(read('DerivedNormalizationProps.txt'), (a, b, v) => {
  if (v === 'Full_Composition_Exclusion') for (let c = a; c <= b; c++) fullCompositionExclusion[c] = 1;
});
const alphabetic = new Uint8Array(MAX_CP);
parseRanges(read('DerivedCoreProperties.txt'), (a, b, v) => {
  if (v === 'Alphabetic') for (let c = a; c <= b; c++) alphabetic[c] = 1;
});

// --- Unicode 8.0 general categories, as the unicode_categories crate sees them ------------------------------
// Category changes between Unicode 8.0 and 15.0 for characters that are or were Cc/Cf/Co/P*/Mn.
const GC_CHANGED_SINCE_8_0 = new Map([
  [0x166d, 'Po'],   // CANADIAN SYLLABICS CHI SIGN: Po -> So in 12.0
  [0x111c9, 'Po'],  // SHARADA SANDHI MARK: Po -> Mn in 11.0
  [0x1734, 'Mn'],   // HANUNOO SIGN PAMUDPOD: Mn -> Mc in 14.0
  [0x1885, 'Lo'],   // MONGOLIAN LETTER ALI GALI BALUDA: Lo -> Mn in 9.0
  [0x1886, 'Lo'],   // MONGOLIAN LETTER ALI GALI THREE BALUDA: Lo -> Mn in 9.0
  [0xa9bd, 'Mc'],   // JAVANESE CONSONANT SIGN KERET: Mc -> Mn in 12.0
]);
function gcAtUnicode8(c) {
  if (age[c] > 8.0) return 'Cn';
  return GC_CHANGED_SINCE_8_0.get(c) || gc[c];
}

// --- Lowercase (Rust char::to_lowercase): simple mapping + unconditional SpecialCasing -------------------
const specialLower = new Map();
for (const raw of read('SpecialCasing.txt').split('\n')) {
  const line = raw.replace(/#.*/, '').trim();
  if (!line) continue;
  const f = line.split(';').map((s) => s.trim());
  if (f[4]) continue;  // conditional (language- or context-sensitive): Rust ignores these
  const lower = f[1].split(' ').filter(Boolean).map((h) => parseInt(h, 16));
  const cp = parseInt(f[0], 16);
  if (lower.length !== 1 || lower[0] !== (simpleLower.get(cp) ?? cp)) specialLower.set(cp, lower);
}

// --- NFD at Unicode 9.0 -------------------------------------------------------------------------------------
const NFD_AGE = 9.0;
function fullDecomposition(c) {
  const d = age[c] <= NFD_AGE ? canonicalDecomposition.get(c) : undefined;
  if (!d) return [c];
  return d.flatMap(fullDecomposition);
}
const nfdDecomp = new Map();
for (const c of canonicalDecomposition.keys()) {
  if (age[c] <= NFD_AGE) nfdDecomp.set(c, fullDecomposition(c));
}
const nfdCcc = new Map([...ccc].filter(([c]) => age[c] <= NFD_AGE));

// --- NFKD and canonical composition at Unicode 9.0 (Hangul is algorithmic, in unicode.cpp) ----------------
function fullCompatibilityDecomposition(c) {
  const d = age[c] <= NFD_AGE ? (canonicalDecomposition.get(c) ?? compatibilityDecomposition.get(c)) : undefined;
  if (!d) return [c];
  return d.flatMap(fullCompatibilityDecomposition);
}
// Only the characters whose NFKD differs from their NFD (the NFD table covers the rest).
const nfkdOnly = new Map();
for (const c of compatibilityDecomposition.keys()) {
  if (age[c] <= NFD_AGE) nfkdOnly.set(c, fullCompatibilityDecomposition(c));
}
for (const c of nfdDecomp.keys()) {
  const k = fullCompatibilityDecomposition(c);
  if (k.join() !== nfdDecomp.get(c).join()) nfkdOnly.set(c, k);
}
// Primary composites: a two-character canonical mapping that is no Full_Composition_Exclusion (which covers
// singletons, non-starter decompositions and the exclusion list; the set is stable for assigned characters).
const compositions = [];
const compositionFirst = new Uint8Array(MAX_CP);
const compositionSecond = new Uint8Array(MAX_CP);
for (const [c, d] of canonicalDecomposition) {
  if (age[c] > NFD_AGE || d.length !== 2 || fullCompositionExclusion[c]) continue;
  compositions.push([d[0], d[1], c]);
  compositionFirst[d[0]] = 1;
  compositionSecond[d[1]] = 1;
}
for (let c = 0x1100; c <= 0x1112; c++) compositionFirst[c] = 1;  // Hangul L + V
for (let c = 0x1161; c <= 0x1175; c++) compositionSecond[c] = 1;
for (let c = 0x11a8; c <= 0x11c2; c++) compositionSecond[c] = 1;  // Hangul LV + T

// --- Flags ---------------------------------------------------------------------------------------------------
const FLAG = {
  WHITE_SPACE: 1, CRATE_OTHER: 2, CRATE_PUNCTUATION: 4, CRATE_MARK_NONSPACING: 8,
  HAS_LOWERCASE: 16, NFD_RELEVANT: 32, REGEX_WORD: 64,
};
const flags = new Uint8Array(MAX_CP);
for (let c = 0; c < MAX_CP; c++) {
  let f = 0;
  if (whiteSpace[c]) f |= FLAG.WHITE_SPACE;
  const g8 = gcAtUnicode8(c);
  if (g8 === 'Cc' || g8 === 'Cf' || g8 === 'Co') f |= FLAG.CRATE_OTHER;
  if (g8[0] === 'P') f |= FLAG.CRATE_PUNCTUATION;
  if (g8 === 'Mn') f |= FLAG.CRATE_MARK_NONSPACING;
  if (simpleLower.has(c) || specialLower.has(c)) f |= FLAG.HAS_LOWERCASE;
  if (nfdDecomp.has(c) || nfdCcc.has(c) || (c >= 0xac00 && c <= 0xd7a3)) f |= FLAG.NFD_RELEVANT;
  const g = gc[c];
  if (alphabetic[c] || g[0] === 'M' || g === 'Nd' || g === 'Pc' || joinControl[c]) f |= FLAG.REGEX_WORD;
  flags[c] = f;
}

// Two-level table: blocks of 256 code points, identical blocks shared.
function twoLevel(values, name, elemType) {
  const blockIndex = new Map();
  const blocks = [];
  const stage1 = [];
  for (let b = 0; b < MAX_CP / 256; b++) {
    const block = Array.from(values.subarray(b * 256, b * 256 + 256));
    const key = block.join(',');
    if (!blockIndex.has(key)) {
      blockIndex.set(key, blocks.length);
      blocks.push(block);
    }
    stage1.push(blockIndex.get(key));
  }
  let s = `static const uint16_t ${name}_stage1[${stage1.length}] = {${stage1.join(',')}};\n`;
  s += `static const ${elemType} ${name}_stage2[${blocks.length * 256}] = {\n`;
  s += blocks.map((b) => b.join(',')).join(',\n');
  return s + '};\n';
}

// Normalization flags. A "boundary before" c means that NFC (or NFKC) of a text splits there: the text before
// and the text from c on normalize independently (c's full decomposition starts with a starter that is no
// composition's second character, so nothing before c reorders or composes with it).
const NORM_FLAG = { NFKD_TABLE: 1, NFC_BOUNDARY_BEFORE: 2, NFKC_BOUNDARY_BEFORE: 4 };
const normFlags = new Uint8Array(MAX_CP);
const hangulFirst = (c) => (c >= 0xac00 && c <= 0xd7a3 ? 0x1100 + Math.floor((c - 0xac00) / 588) : c);
const startsBoundary = (first) => !nfdCcc.has(first) && !compositionSecond[first];
for (let c = 0; c < MAX_CP; c++) {
  let f = 0;
  if (nfkdOnly.has(c)) f |= NORM_FLAG.NFKD_TABLE;
  if (startsBoundary(hangulFirst((nfdDecomp.get(c) ?? [c])[0]))) f |= NORM_FLAG.NFC_BOUNDARY_BEFORE;
  if (startsBoundary(hangulFirst((nfkdOnly.get(c) ?? nfdDecomp.get(c) ?? [c])[0]))) f |= NORM_FLAG.NFKC_BOUNDARY_BEFORE;
  normFlags[c] = f;
}

// --- Grapheme_Cluster_Break (UAX #29, this UCD) + Extended_Pictographic, for extended grapheme clusters -------
// Low 4 bits: the break property (order must match GraphemeBreak in graphemes.h); bit 4: Extended_Pictographic.
const GCB_NAMES = ['Other', 'CR', 'LF', 'Control', 'Extend', 'ZWJ', 'Regional_Indicator', 'Prepend', 'SpacingMark',
  'L', 'V', 'T', 'LV', 'LVT'];
const graphemeBreak = new Uint8Array(MAX_CP);
parseRanges(read('auxiliary/GraphemeBreakProperty.txt'), (a, b, v) => {
  const k = GCB_NAMES.indexOf(v);
  if (k < 0) throw new Error(`unknown Grapheme_Cluster_Break ${v}`);
  for (let c = a; c <= b; c++) graphemeBreak[c] = k;
});
parseRanges(read('emoji/emoji-data.txt'), (a, b, v) => {
  if (v === 'Extended_Pictographic') for (let c = a; c <= b; c++) graphemeBreak[c] |= 16;
});

const gcValues = new Uint8Array(MAX_CP);
for (let c = 0; c < MAX_CP; c++) gcValues[c] = GC_NAMES.indexOf(gc[c]);

const hex = (c) => '0x' + c.toString(16).toUpperCase();
let out = '// Generated by src/text/gen_unicode_tables.mjs from ' + ucdDir + '. Do not edit.\n';
out += `// Flag bits: ${JSON.stringify(FLAG)}\n`;
out += `// General category order: ${GC_NAMES.join(' ')}\n`;
out += twoLevel(flags, 'kFlags', 'uint8_t');
out += twoLevel(gcValues, 'kGeneralCategory', 'uint8_t');
out += `// Grapheme_Cluster_Break order: ${GCB_NAMES.join(' ')}; bit 4: Extended_Pictographic\n`;
out += twoLevel(graphemeBreak, 'kGraphemeBreak', 'uint8_t');
out += `// Normalization flag bits: ${JSON.stringify(NORM_FLAG)}\n`;
out += twoLevel(normFlags, 'kNormFlags', 'uint8_t');

// Run tables: the per-code-point mappings come in long regular runs (a block of letters mapping to the next
// block, consecutive characters each decomposing to k code points), so each table lists runs, not code points:
// `${name}_first` (sorted, binary-searched) and one array per run field. A tenth of the bytes of a row per code
// point; the lookups in unicode.cpp return exactly what those rows held.
function runTable(name, runs, fields) {
  let s = `static const uint32_t ${name}_first[${runs.length}] = {${runs.map((r) => hex(r.first)).join(',')}};\n`;
  for (const [field, type, max] of fields) {
    for (const r of runs) {
      if (!(r[field] >= (type.startsWith('int') ? -max - 1 : 0) && r[field] <= max)) {
        throw new Error(`${name}: ${field} ${r[field]} does not fit ${type}`);
      }
    }
    s += `static const ${type} ${name}_${field}[${runs.length}] = {${runs.map((r) => r[field]).join(',')}};\n`;
  }
  return s;
}
// Runs of consecutive code points with the same value.
function valueRuns(entries) {
  const runs = [];
  for (const [c, value] of entries) {
    const last = runs.at(-1);
    if (last && c === last.first + last.count && value === last.value) last.count++;
    else runs.push({ first: c, count: 1, value });
  }
  return runs;
}
// Runs of code points first, first + stride, … (stride 1 or 2) whose lowercase is c + delta.
function lowercaseRuns(entries) {
  const runs = [];
  for (const [c, lower] of entries) {
    const delta = lower - c;
    const last = runs.at(-1);
    if (last && delta === last.delta && last.count === 1 && (c - last.first === 1 || c - last.first === 2)) {
      last.stride = c - last.first;
      last.count++;
    } else if (last && delta === last.delta && c === last.first + last.count * last.stride) {
      last.count++;
    } else {
      runs.push({ first: c, count: 1, stride: 1, delta });
    }
  }
  return runs;
}
// Runs of consecutive code points that each decompose to `length` code points, stored one after the other in
// the pool from `offset` on.
function decompositionRuns(entries, pool) {
  const runs = [];
  for (const [c, d] of entries) {
    const last = runs.at(-1);
    if (last && c === last.first + last.count && d.length === last.length) last.count++;
    else runs.push({ first: c, count: 1, length: d.length, offset: pool.length });
    pool.push(...d);
  }
  return runs;
}

const lowerEntries = [...simpleLower].filter(([c]) => !specialLower.has(c)).sort((a, b) => a[0] - b[0]);
out += runTable('kLowercaseRuns', lowercaseRuns(lowerEntries),
  [['count', 'uint16_t', 0xffff], ['stride', 'uint8_t', 2], ['delta', 'int32_t', 0x7fffffff]]);
const special = [...specialLower].sort((a, b) => a[0] - b[0]);
out += `static const uint32_t kSpecialLowercase[${special.length}][5] = {\n`;
out += special.map(([c, l]) => `{${hex(c)},${l.length},${l.map(hex).join(',')}${',0'.repeat(3 - l.length)}}`)
  .join(',') + '};\n';

const decompositionFields = [['count', 'uint16_t', 0xffff], ['length', 'uint8_t', 0xff], ['offset', 'uint16_t', 0xffff]];
const pool = [];
out += runTable('kDecompositionRuns', decompositionRuns([...nfdDecomp].sort((a, b) => a[0] - b[0]), pool), decompositionFields);
out += `static const char32_t kDecompositionPool[${pool.length}] = {${pool.map(hex).join(',')}};\n`;
out += runTable('kCombiningClassRuns', valueRuns([...nfdCcc].sort((a, b) => a[0] - b[0])),
  [['count', 'uint16_t', 0xffff], ['value', 'uint8_t', 0xff]]);

const nfkdPool = [];
out += runTable('kCompatibilityDecompositionRuns',
  decompositionRuns([...nfkdOnly].sort((a, b) => a[0] - b[0]), nfkdPool), decompositionFields);
out += `static const char32_t kCompatibilityDecompositionPool[${nfkdPool.length}] = {${nfkdPool.map(hex).join(',')}};\n`;
// Sorted by (first << 21 | second): composition is a binary search on that key.
compositions.sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]));
out += `static const uint64_t kCompositionKeys[${compositions.length}] = {\n`;
out += compositions.map(([a, b]) => `${hex(a * 2 ** 21 + b)}ull`).join(',') + '};\n';
out += `static const char32_t kCompositionValues[${compositions.length}] = {${compositions.map(([, , c]) => hex(c)).join(',')}};\n`;

fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, out);
