// etcdctl's txn input format, so scripts written for `etcdctl txn` work unchanged:
//
//   mod("key1") > "0"              compares, one per line: TARGET("key") OP "operand"
//   val("key1") = "v"              TARGET: val|value, ver|version, c|create, m|mod, lease; OP: = != < >
//                                  (blank line)
//   put key1 "new value"           success requests: put | get | del with etcdctl's flags
//                                  (blank line)
//   get key1 --prefix              failure requests
//
// Words are split on spaces; "double quotes" allow spaces and \" \\ \n \t escapes, as etcdctl's Argify.
import type { CompareInput, CompareOperator, OpInput, TxnInput } from '@halyard/kv-client';
import { parseHexId, parseIntArg, UsageError } from './kv-flags.ts';

/** Lines accepted in one txn input: the state machine's op limit (128) is far below; this bounds parsing. */
export const TXN_INPUT_LINES_MAX = 10_000;

const TARGETS: Readonly<Record<string, CompareInput['target']>> = {
  val: 'value',
  value: 'value',
  ver: 'version',
  version: 'version',
  c: 'createRevision',
  create: 'createRevision',
  m: 'modRevision',
  mod: 'modRevision',
  lease: 'lease',
};

const OPERATORS: readonly CompareOperator[] = ['=', '!=', '<', '>'];

export function parseTxn(text: string): TxnInput {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > TXN_INPUT_LINES_MAX) throw new UsageError(`txn input has more than ${TXN_INPUT_LINES_MAX} lines`);
  const sections: { line: number; text: string }[][] = [[]];
  lines.forEach((raw, i) => {
    const current = sections[sections.length - 1] as { line: number; text: string }[];
    if (raw.trim() === '') {
      if (sections.length < 3) sections.push([]);
      else if (current.length > 0) sections.push([]);
      return;
    }
    if (sections.length > 3) throw new UsageError(`txn line ${i + 1}: unexpected input after the failure requests`);
    current.push({ line: i + 1, text: raw });
  });
  const [compares = [], success = [], failure = []] = sections;
  return {
    compare: compares.map((l) => withLine(l.line, () => parseCompare(l.text))),
    success: success.map((l) => withLine(l.line, () => parseOp(l.text))),
    failure: failure.map((l) => withLine(l.line, () => parseOp(l.text))),
  };
}

function withLine<T>(line: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UsageError(`txn line ${line}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function parseCompare(line: string): CompareInput {
  const m = /^\s*([a-z]+)\(\s*("(?:[^"\\]|\\.)*")\s*\)\s*(!=|=|<|>)\s*(.+?)\s*$/.exec(line);
  if (m === null) throw new UsageError(`malformed comparison: ${line.trim()} (expected e.g. mod("key") > "0")`);
  const [, targetName = '', quotedKey = '', op = '', operandText = ''] = m;
  const target = TARGETS[targetName];
  if (target === undefined) throw new UsageError(`unknown compare target ${JSON.stringify(targetName)} (val, ver, create, mod, lease)`);
  if (!OPERATORS.includes(op as CompareOperator)) throw new UsageError(`unknown operator ${op}`);
  const key = unquote(quotedKey);
  const words = splitWords(operandText);
  if (words.length !== 1) throw new UsageError(`expected one operand, got ${JSON.stringify(operandText)}`);
  const operand = words[0] as string;
  const result = op as CompareOperator;
  if (target === 'value') return { key, result, target, value: operand };
  const n = target === 'lease' && operand !== '0' ? parseHexId(operand, 'lease') : parseIntArg(operand, `${targetName} operand`, 0);
  return { key, result, target, operand: n };
}

export function parseOp(line: string): OpInput {
  const words = splitWords(line);
  const [verb, ...args] = words;
  const { positional, flags } = splitFlags(args);
  const flag = (name: string): string | undefined => flags.get(name);
  const bool = (name: string): boolean => flags.has(name) && flags.get(name) !== 'false';
  const allowOnly = (allowed: readonly string[]): void => {
    for (const f of flags.keys()) if (!allowed.includes(f)) throw new UsageError(`${verb}: unknown flag --${f}`);
  };
  switch (verb) {
    case 'put': {
      allowOnly(['lease', 'prev-kv', 'ignore-value', 'ignore-lease']);
      const [key, value] = positional;
      if (key === undefined || (value === undefined && !bool('ignore-value')) || positional.length > 2) throw new UsageError('put needs KEY VALUE');
      const lease = flag('lease');
      return { type: 'put', key, value: value ?? '', ...(lease !== undefined ? { lease: parseHexId(lease, '--lease') } : {}), prevKv: bool('prev-kv'), ignoreValue: bool('ignore-value'), ignoreLease: bool('ignore-lease') };
    }
    case 'get': {
      allowOnly(['prefix', 'from-key', 'limit', 'rev', 'keys-only', 'count-only']);
      const [key, rangeEnd] = positional;
      if (key === undefined || positional.length > 2) throw new UsageError('get needs KEY [RANGE_END]');
      const limit = flag('limit');
      const rev = flag('rev');
      return {
        type: 'range',
        key,
        ...rangeSelector(rangeEnd, bool('prefix'), bool('from-key')),
        ...(limit !== undefined ? { limit: parseIntArg(limit, '--limit', 0) } : {}),
        ...(rev !== undefined ? { revision: parseIntArg(rev, '--rev', 0) } : {}),
        keysOnly: bool('keys-only'),
        countOnly: bool('count-only'),
      };
    }
    case 'del':
    case 'delete': {
      allowOnly(['prefix', 'from-key', 'prev-kv']);
      const [key, rangeEnd] = positional;
      if (key === undefined || positional.length > 2) throw new UsageError('del needs KEY [RANGE_END]');
      return { type: 'deleteRange', key, ...rangeSelector(rangeEnd, bool('prefix'), bool('from-key')), prevKv: bool('prev-kv') };
    }
    default:
      throw new UsageError(`unknown request ${JSON.stringify(verb ?? '')} (put, get or del)`);
  }
}

/** At most one way to say which keys: RANGE_END, --prefix or --from-key. */
export function rangeSelector(rangeEnd: string | undefined, prefix: boolean, fromKey: boolean): { rangeEnd?: string; prefix?: boolean; fromKey?: boolean } {
  if ([rangeEnd !== undefined, prefix, fromKey].filter(Boolean).length > 1) throw new UsageError('give only one of RANGE_END, --prefix and --from-key');
  if (rangeEnd !== undefined) return { rangeEnd };
  if (prefix) return { prefix: true };
  if (fromKey) return { fromKey: true };
  return {};
}

function splitFlags(args: readonly string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  const valued = new Set(['lease', 'limit', 'rev']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (eq >= 0) flags.set(name, a.slice(eq + 1));
    else if (valued.has(name)) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    } else flags.set(name, 'true');
  }
  return { positional, flags };
}

/** Splits on whitespace; "double quoted" words may contain spaces and escapes, 'single quoted' are literal. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    if (m[1] !== undefined) words.push(unquote(`"${m[1]}"`));
    else if (m[2] !== undefined) words.push(m[2]);
    else words.push(m[3] as string);
  }
  return words;
}

function unquote(quoted: string): string {
  try {
    const v: unknown = JSON.parse(quoted);
    if (typeof v === 'string') return v;
  } catch {
    // Falls through to the error below.
  }
  throw new UsageError(`bad quoted string ${quoted}`);
}
