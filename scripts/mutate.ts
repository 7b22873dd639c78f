// `pnpm mutate [target…]`: mutation testing with StrykerJS (shared settings in stryker.config.mjs).
//
// A target is a folder, a file (optionally `file.ts:12-40` for a line range) or one of the named groups
// below; no target runs every group. Targets are run one source file at a time: each file has its own
// incremental file, reports/stryker-incremental/<file>.json (committed, so a re-run — in a fresh clone
// too — only re-tests mutants whose code or covering tests changed), and its own HTML/JSON report under
// reports/mutation/ (not committed). A run cut short keeps every file it finished. The score printed
// for a target is over all its files.
//
//   pnpm mutate                          every group, one after another
//   pnpm mutate mvcc                     a named group
//   pnpm mutate packages/kv/src/mvcc     a folder (its tests, test helpers and index.ts are not mutated)
//   pnpm mutate --smoke                  the CI smoke check: one small file, from scratch, fails below its goal
//   pnpm mutate --recorded [target…]     runs nothing: scores from the recorded incremental files
//
// Options: --force (ignore the incremental files), --concurrency N, --check (exit 1 when a target scores
// below its goal), --no-typecheck (skip Stryker's TypeScript checker: several times faster, but mutants
// that would not compile are then run too, and usually killed by a runtime error).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Stryker } from '@stryker-mutator/core';

type StrykerOptions = NonNullable<ConstructorParameters<typeof Stryker>[0]>;
type MutantResult = Awaited<ReturnType<Stryker['runMutationTest']>>[number];

interface Target {
  readonly name: string;
  /** Files, folders or `file:lines` ranges, relative to the repository root. */
  readonly paths: readonly string[];
  /** The mutation score (percent) docs/testing.md promises for this target. */
  readonly goalPercent?: number;
  /**
   * Only test files under this folder run against the target's mutants. Without it, every fast test that
   * imports the file runs — for the Raft and MVCC cores that includes the election and API-server suites
   * (process-spawning CLI tests, 10 s property tests), which made each surviving mutant cost 45 s; the
   * core's rules are meant to be protected by the core's own tests.
   */
  readonly testsIn?: string;
}

const GROUPS: readonly Target[] = [
  { name: 'raft', paths: ['packages/kv/src/raft'], goalPercent: 90, testsIn: 'packages/kv/src' },
  { name: 'mvcc', paths: ['packages/kv/src/mvcc'], goalPercent: 90, testsIn: 'packages/kv/src' },
  {
    name: 'server-core',
    paths: ['packages/kv/src/server/state-machine.ts', 'packages/kv/src/server/dedupe.ts', 'packages/kv/src/server/lessor.ts', 'packages/kv/src/server/read-barrier.ts'],
    goalPercent: 85,
  },
  { name: 'client-retry', paths: ['packages/kv-client/src/client/retry.ts', 'packages/kv-client/src/client/caller.ts'], goalPercent: 80 },
];

/**
 * CI's smoke check: small enough to run from scratch in about a minute on 2 cores — the lessor's promote,
 * demote and granted (about 20 mutants), with fast fake-clock tests and no loop a mutant can make endless
 * (each timeout costs seconds and a test-runner restart) — and home of one of issue 13's named mutants
 * (a new leader expiring leases it should keep).
 */
const SMOKE: Target = { name: 'smoke', paths: ['packages/kv/src/server/lessor.ts:32-51'], goalPercent: 90 };

/** Never mutated: tests, their helpers and data, and index files that only re-export. */
const NOT_MUTATED = /(\.test\.ts|\.testutil\.ts|\/index\.ts)$|\/testing\/|\/test-[^/]*\.ts$/;

const root = resolve(import.meta.dirname, '..');

/** The source files (or `file:lines` ranges) a target mutates, relative to the root, sorted. */
function sourceFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const range = /:\d+(-\d+)?$/.exec(p)?.[0] ?? '';
    const abs = resolve(root, p.slice(0, p.length - range.length));
    const rel = relative(root, abs);
    if (rel.startsWith('..')) throw new Error(`mutate: ${p} is outside the repository`);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      throw new Error(`mutate: no such file or folder: ${p}`);
    }
    if (!isDir) {
      out.push(rel + range);
      continue;
    }
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.ts') && !NOT_MUTATED.test(`/${relative(root, path)}`)) out.push(relative(root, path));
      }
    };
    walk(abs);
  }
  return [...new Set(out)].sort();
}

/** The group whose folder holds `file` (a file run on its own gets its group's test selection). */
function groupOf(file: string): Target | undefined {
  return GROUPS.find((g) => g.paths.some((p) => file === p || file.startsWith(`${p}/`)));
}

function slug(file: string): string {
  return file
    .replace(/^packages\//, '')
    .replace(/\.ts(:|$)/, '$1')
    .replace(/[^A-Za-z0-9]+/g, '-');
}

interface Score {
  readonly detected: number;
  readonly undetected: number;
  readonly compileErrors: number;
  readonly ignored: number;
}

/** NaN when no mutant was run (nothing recorded): not a score. */
const percent = (s: Score): number => (100 * s.detected) / (s.detected + s.undetected);

/** Stryker's mutation score counts: detected = killed + timeout; undetected = survived + no coverage. */
function score(results: readonly MutantResult[]): Score {
  const count = (...statuses: string[]): number => results.filter((r) => statuses.includes(r.status)).length;
  return { detected: count('Killed', 'Timeout'), undetected: count('Survived', 'NoCoverage'), compileErrors: count('CompileError'), ignored: count('Ignored') };
}

function describeSurvivor(r: MutantResult): string {
  const file = relative(root, resolve(root, r.fileName));
  const replacement = (r.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80);
  return `  ${r.status === 'NoCoverage' ? 'no coverage' : 'survived'}  ${file}:${r.location.start.line}  ${r.mutatorName}  → ${replacement}`;
}

interface Flags {
  readonly recordedOnly: boolean;
  readonly force: boolean;
  readonly incremental: boolean;
  readonly typecheck: boolean;
  readonly check: boolean;
  readonly concurrency?: number;
}

async function runFile(file: string, flags: Flags, testsIn: string | undefined): Promise<MutantResult[]> {
  const name = slug(file);
  const options: StrykerOptions = {
    configFile: resolve(root, 'stryker.config.mjs'),
    mutate: [file],
    incremental: flags.incremental,
    incrementalFile: `reports/stryker-incremental/${name}.json`,
    force: flags.force,
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    ...(flags.typecheck ? {} : { checkers: [] }),
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
  };
  // Read by vitest.stryker.config.ts in Stryker's test-runner processes, which inherit the environment.
  if (testsIn !== undefined) process.env.HALYARD_MUTATE_TESTS_IN = testsIn;
  else delete process.env.HALYARD_MUTATE_TESTS_IN;
  return new Stryker(options).runMutationTest();
}

/**
 * The incremental files of a file that was only ever run in line ranges (`node.ts:150-330` …, each range
 * its own file `<slug>-<from>-<to>.json`), sorted by first line; empty when there are none.
 */
function recordedRanges(file: string): { lines: string; path: string }[] {
  const dir = resolve(root, 'reports/stryker-incremental');
  const prefix = `${slug(file)}-`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((n) => {
      const lines = /^(\d+)-(\d+)\.json$/.exec(n.startsWith(prefix) ? n.slice(prefix.length) : '');
      return lines === null ? [] : [{ lines: `${lines[1]}-${lines[2]}`, from: Number(lines[1]), path: join(dir, n) }];
    })
    .sort((a, b) => a.from - b.from)
    .map(({ lines, path }) => ({ lines, path }));
}

/** Scores of a target from the recorded incremental files (the last run of each file), without running. */
function recorded(target: Target): Score {
  const results: MutantResult[] = [];
  const missing: string[] = [];
  const inRanges: string[] = [];
  for (const file of sourceFiles(target.paths)) {
    const whole = resolve(root, `reports/stryker-incremental/${slug(file)}.json`);
    // A large file run range by range counts as the ranges recorded, and is named as such below.
    const ranges = existsSync(whole) ? [] : recordedRanges(file);
    if (!existsSync(whole) && ranges.length === 0) {
      missing.push(file);
      continue;
    }
    if (ranges.length > 0) inRanges.push(`${file}:${ranges.map((r) => r.lines).join(',')}`);
    for (const path of ranges.length > 0 ? ranges.map((r) => r.path) : [whole]) {
      const report = JSON.parse(readFileSync(path, 'utf8')) as { files: Record<string, { mutants: MutantResult[] }> };
      for (const [name, f] of Object.entries(report.files)) for (const m of f.mutants) results.push({ ...m, fileName: name });
    }
  }
  const s = score(results);
  console.log(
    [
      `recorded ${target.name}: score ${percent(s).toFixed(2)} % — ${s.detected} detected, ${s.undetected} undetected, ${s.compileErrors} not compiling, ${s.ignored} ignored${inRanges.length > 0 ? `; only these lines run: ${inRanges.join(' ')}` : ''}${missing.length > 0 ? `; never run: ${missing.join(' ')}` : ''}`,
      ...results.filter((r) => r.status === 'Survived' || r.status === 'NoCoverage').map(describeSurvivor),
    ].join('\n'),
  );
  return s;
}

async function run(target: Target, flags: Flags): Promise<Score> {
  const started = performance.now();
  const results: MutantResult[] = [];
  for (const file of sourceFiles(target.paths)) results.push(...(await runFile(file, flags, target.testsIn ?? groupOf(file)?.testsIn)));
  const s = score(results);
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const lines = [
    `mutate ${target.name} (${target.paths.join(' ')}): score ${percent(s).toFixed(2)} % — ${s.detected} detected, ${s.undetected} undetected, ${s.compileErrors} not compiling, ${s.ignored} ignored; ${seconds} s`,
    ...results.filter((r) => r.status === 'Survived' || r.status === 'NoCoverage').map(describeSurvivor),
  ];
  console.log(lines.join('\n'));
  return s;
}

function parseArgs(argv: readonly string[]): Flags & { targets: Target[] } {
  const targets: Target[] = [];
  const loose: string[] = [];
  let force = false;
  let recordedOnly = false;
  let incremental = true;
  let check = false;
  let typecheck = true;
  let concurrency: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') continue;
    if (a === '--force') force = true;
    else if (a === '--recorded') recordedOnly = true;
    else if (a === '--check') check = true;
    else if (a === '--no-typecheck') typecheck = false;
    else if (a === '--smoke') {
      targets.push(SMOKE);
      // From scratch every time, so the check measures the tests rather than a recorded result; without the
      // type checker, whose start-up and per-mutant checks would take most of CI's minute.
      incremental = false;
      typecheck = false;
      check = true;
    } else if (a === '--concurrency') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error('mutate: --concurrency takes an integer from 1 to 16');
      concurrency = n;
    } else if (a.startsWith('--')) throw new Error(`mutate: unknown option ${a}`);
    else {
      const group = GROUPS.find((g) => g.name === a);
      if (group !== undefined) targets.push(group);
      else loose.push(a);
    }
  }
  if (loose.length > 0) targets.push({ name: loose.join(' '), paths: loose });
  return { targets: targets.length > 0 ? targets : [...GROUPS], recordedOnly, force, incremental, typecheck, check, ...(concurrency !== undefined ? { concurrency } : {}) };
}

async function main(): Promise<number> {
  process.chdir(root);
  const args = parseArgs(process.argv.slice(2));
  const below: string[] = [];
  for (const t of args.targets) {
    const s = args.recordedOnly ? recorded(t) : await run(t, args);
    if (t.goalPercent !== undefined && !(percent(s) >= t.goalPercent)) below.push(`${t.name}: ${percent(s).toFixed(2)} % < ${t.goalPercent} %`);
  }
  if (below.length > 0) console.log(`below goal:\n  ${below.join('\n  ')}`);
  return args.check && below.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
