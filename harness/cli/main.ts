/**
 * The serbench command line (yargs). Each command loads what it needs when it runs (the tensor
 * and chart libraries take a second to load), so `serbench --version` and `--help` answer at once.
 */
const lazy = {
  run: () => import('../run/run.ts'),
  report: () => import('./report.ts'),
  compare: () => import('./compare.ts'),
  predict: () => import('./predict.ts'),
  tables: async () => ({
    ...(await import('../../reports/tables.ts')),
    ...(await import('../stats/verdicts.ts')),
    ...(await import('../run-folder/read-run.ts')),
  }),
  scan: () => import('./scan.ts'),
  synth: () => import('./synth.ts'),
  merge: () => import('./merge.ts'),
};
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { basename, join, resolve } from 'node:path';
import { cpus } from 'node:os';
import { loadSuite, SuiteError } from '../suite.ts';
import { suiteJsonSchema } from '../suite-schema.ts';
import { fileComponent } from '../../core/file-names.ts';
import { FILE_CORPORA } from '../../datasets/corpora/index.ts';
import type { TableKind, TableFormat } from '../../reports/tables.ts';
// The choices of `table`, stated here so that --help needs no chart or template library.
const TABLE_KINDS = ['leaderboard', 'per-class', 'per-fold', 'fairness'] as const satisfies readonly TableKind[];
const TABLE_FORMATS = ['md', 'csv', 'latex', 'text'] as const satisfies readonly TableFormat[];

const EXIT_INVALID = 2;
const EXIT_JOBS_FAILED = 3;

function fail(message: string, code = 1): never {
  process.stderr.write(`serbench: ${message}\n`);
  process.exit(code);
}

function parseShard(s: string | undefined): { index: number; count: number } | undefined {
  if (!s) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (!m || Number(m[1]) >= Number(m[2]) || Number(m[2]) > 100_000) fail(`--shard takes i/n with 0 ≤ i < n ≤ 100000 (e.g. 0/4), got "${s}"`, EXIT_INVALID);
  return { index: Number(m![1]), count: Number(m![2]) };
}

/** An option given twice (`--out a --out b`) is refused: which one was meant cannot be guessed. */
function refuseRepeatedOptions(args: string[]): void {
  const seen = new Map<string, number>();
  for (const a of args) {
    if (a === '--') break;
    const m = /^--(?:no-)?([^=]+)/.exec(a);
    if (m) seen.set(m[1], (seen.get(m[1]) ?? 0) + 1);
  }
  for (const [name, n] of seen) if (n > 1) fail(`--${name} is given ${n} times; give it once`, EXIT_INVALID);
}
refuseRepeatedOptions(hideBin(process.argv));

/** Levenshtein distance, for suggestions. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length];
}

/** Every option of every command, for suggestions (yargs suggests commands itself). */
const OPTIONS = [
  'out',
  'jobs',
  'cache',
  'shard',
  'share-cores',
  'quiet',
  'corpus',
  'json',
  'speakers',
  'clips',
  'seed',
  'bias-gender',
  'bias-snr',
  'what',
  'format',
  'model',
  'job',
  'title',
  'help',
  'version',
];

/** ", did you mean --jobs for jbos?" for yargs' "Unknown argument: jbos". */
function didYouMean(message: string, options = OPTIONS): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message)?.[1].split(', ') ?? [];
  const hints = unknown.flatMap((u) => {
    const best = options.filter((o) => o.length > 1 && !o.includes('-') === !u.includes('-')).sort((p, q) => distance(u, p) - distance(u, q))[0];
    return best && distance(u, best) <= Math.max(2, Math.floor(best.length / 3)) ? [`--${best} for ${u}`] : [];
  });
  return hints.length ? `; did you mean ${hints.join(', ')}?` : '';
}

await yargs(hideBin(process.argv))
  .scriptName('serbench')
  .usage('$0 <command> [options]\n\nBenchmark and fairness evaluation harness for speech emotion recognition.')
  .command(
    'run <suite>',
    'run a suite: features, training, evaluation, report site',
    (y) =>
      y
        .positional('suite', { type: 'string', demandOption: true, describe: 'suite YAML file' })
        .option('out', { type: 'string', describe: 'run folder (default runs/<suite name>)' })
        .option('jobs', {
          type: 'number',
          default: cpus().length,
          describe:
            'parallel workers: job processes (each job trains on one core), or, for a single job, feature threads and the threads its network trains on',
        })
        // yargs reads --no-cache as cache = false.
        .option('cache', { type: 'string', default: '.cache/features', describe: 'feature cache folder, shared across runs (--no-cache: none)' })
        .option('shard', { type: 'string', describe: 'run only shard i of n of the jobs (i/n, 0-based); combine with `serbench merge`' })
        .option('share-cores', {
          type: 'boolean',
          default: false,
          describe:
            'a network still training when other job processes run out of jobs takes their cores between epochs: faster at the end of a suite, but its results then match a run without it only up to float rounding',
        })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
        .example('$0 run suites/quick.yaml', 'the synthetic corpus: four models, a report site in runs/quick/site')
        .example('SERBENCH_DATA=~/corpora $0 run suites/cross-corpus.yaml --jobs 4', 'real corpora from ~/corpora/{ravdess,tess,crema-d,savee}, 4 cores')
        .example('$0 run suite.yaml --shard 0/8 --out part-0', 'one eighth of the jobs (then serbench merge)'),
    async (a) => {
      // Arguments are checked before any work (the suite's own numbers are bounded by its schema).
      if (!Number.isInteger(a.jobs) || a.jobs < 1 || a.jobs > 256) fail(`--jobs takes a whole number from 1 to 256, got ${a.jobs}`, EXIT_INVALID);
      if (typeof a.cache === 'string' && a.cache.trim() === '') fail('--cache takes a folder (or --no-cache), got an empty string', EXIT_INVALID);
      const suite = loadSuite(a.suite!);
      const out = resolve(a.out ?? join('runs', fileComponent(suite.name)));
      const shard = parseShard(a.shard);
      const { runSuite } = await lazy.run();
      const { reportRun } = await lazy.report();
      const summary = await runSuite(suite, {
        out,
        cacheDir: (a.cache as string | boolean) === false ? null : resolve(a.cache),
        jobs: a.jobs,
        processes: a.jobs,
        shareCores: a.shareCores,
        shard,
        quiet: a.quiet,
      });
      for (const s of summary.skipped) process.stderr.write(`skipped ${s.path}: ${s.reason}\n`);
      process.stderr.write(
        `${summary.completed.length} job(s) trained, ${summary.resumed.length} already done, ${summary.failed.length} failed${summary.recomputed.length ? ` (${summary.recomputed.length} of the trained ran again: their files were damaged or computed on other data)` : ''}; feature cache ${summary.cache.hits} hits / ${summary.cache.misses} misses${summary.cache.corrupt ? ` / ${summary.cache.corrupt} damaged entries recomputed` : ''}\n`,
      );
      if (shard) {
        process.stdout.write(`shard ${shard.index}/${shard.count} done in ${out}; combine the shards with: serbench merge <out> <shard folders…>\n`);
      } else {
        const { site, results } = await reportRun(out);
        // As lm-eval does: the results as a table at the end, then where the site is.
        const { formatTable, buildTable, reportView } = await lazy.tables();
        if (results.models.length) process.stdout.write(`\n${formatTable(buildTable(reportView(results), 'leaderboard'), 'text')}\n`);
        process.stdout.write(`results: ${join(out, 'results.json')}\nreport:  ${join(site, 'index.html')}\n`);
      }
      if (summary.failed.length) process.exit(EXIT_JOBS_FAILED);
    },
  )
  .command(
    'validate <suite>',
    'check a suite file and print what it would run',
    (y) =>
      y
        .positional('suite', { type: 'string', demandOption: true, describe: 'suite YAML file' })
        .example('$0 validate suites/quick.yaml', "every problem with its line, or the run's size: clips, folds, jobs per family, an estimated time"),
    async (a) => {
      const s = loadSuite(a.suite!);
      const { planSize } = await import('../run/plan.ts');
      const { fmtTime } = await import('../run/progress.ts');
      // The data and the folds as run would make them: what run would refuse is refused now.
      let size;
      try {
        size = planSize(s);
      } catch (e) {
        fail(`${a.suite}: ${(e as Error).message}`, EXIT_INVALID);
      }
      const families = size.families.map((f) => `${f.family} ${f.jobs} (≈ ${fmtTime(f.seconds)})`).join(', ');
      process.stdout.write(
        `${a.suite}: valid suite "${s.name}": ${s.datasets.length} dataset(s), ${s.split.protocol} split, ${s.seeds.length} seed(s), models ${s.models.map((m) => `${m.name} (${m.type} on ${m.features})`).join(', ')}\n` +
          `  ${size.clips} clips, ${size.folds} fold(s): ${size.jobs} job(s): ${families}\n` +
          `  about ${fmtTime(size.seconds)} of training on one core of the machine the README's bench figures come from (early stopping shortens networks' fits; --jobs N divides it by up to N)\n`,
      );
    },
  )
  .command('datasets', 'inspect corpora on disk', (y) =>
    y
      .command(
        'scan <dir>',
        'count clips per corpus × emotion × gender and list every skipped file with its reason',
        (z) =>
          z
            .positional('dir', { type: 'string', demandOption: true, describe: 'a corpus folder, or a folder holding ravdess/, tess/, crema-d/, savee/' })
            .option('corpus', { type: 'string', choices: FILE_CORPORA, describe: 'read <dir> as this corpus' })
            .option('json', { type: 'boolean', default: false, describe: 'print the scan as JSON' })
            .example('$0 datasets scan ~/corpora', 'each corpus found under ~/corpora, counted, with every file left out and why')
            .example('$0 datasets scan ~/emodb --corpus savee --json', 'read a folder as SAVEE, as JSON'),
        async (a) => {
          const { scanDatasets, formatScan } = await lazy.scan();
          const scan = scanDatasets(a.dir!, a.corpus as never);
          process.stdout.write(a.json ? JSON.stringify(scan, null, 1) + '\n' : formatScan(scan));
        },
      )
      .demandCommand(1),
  )
  .command(
    'synth',
    'write the synthetic corpus as WAV files with a metadata.csv',
    (y) =>
      y
        .option('out', { type: 'string', demandOption: true, describe: 'folder to write the WAV files and metadata.csv (a manifest) into' })
        .option('speakers', { type: 'number', default: 8, describe: 'speakers per recording condition' })
        .option('clips', { type: 'number', default: 4, describe: 'clips per speaker and emotion' })
        .option('seed', { type: 'number', default: 7, describe: 'generator seed: the same seed writes the same files' })
        .option('bias-gender', { type: 'string', choices: ['female', 'male'], describe: 'record this gender worse' })
        .option('bias-snr', { type: 'number', default: 3, describe: 'SNR (dB) of the worse recordings' })
        .example('$0 synth --out data/synth --bias-gender male --bias-snr 0', 'a corpus with a known fairness problem, read with corpus: manifest'),
    async (a) => {
      for (const [flag, v, max] of [
        ['--speakers', a.speakers, 1000],
        ['--clips', a.clips, 1000],
      ] as const)
        if (!Number.isInteger(v) || v < 1 || v > max) fail(`${flag} takes a whole number from 1 to ${max}, got ${v}`, EXIT_INVALID);
      if (!Number.isInteger(a.seed) || a.seed < 0) fail(`--seed takes a whole number ≥ 0, got ${a.seed}`, EXIT_INVALID);
      if (!Number.isFinite(a.biasSnr)) fail(`--bias-snr takes a number of dB, got ${a.biasSnr}`, EXIT_INVALID);
      const { writeSyntheticCorpus } = await lazy.synth();
      const n = await writeSyntheticCorpus(resolve(a.out!), {
        speakers: a.speakers,
        clips: a.clips,
        seed: a.seed,
        bias: a.biasGender ? { gender: a.biasGender as 'female' | 'male', snrDb: a.biasSnr } : undefined,
      });
      process.stdout.write(`wrote ${n} clips to ${a.out}\n`);
    },
  )
  .command(
    'table <run>',
    'print a table of a run for a paper: leaderboard, per-class, per-fold or fairness, as Markdown, CSV, LaTeX or text',
    (y) =>
      y
        .positional('run', { type: 'string', demandOption: true, describe: 'a run folder (with results.json)' })
        .option('what', {
          type: 'string',
          choices: TABLE_KINDS,
          default: 'leaderboard',
          describe: 'which table: models ranked, recall per class, the rank metric per fold (with mean ± sd), or fairness gaps per slice',
        })
        .option('format', {
          type: 'string',
          choices: TABLE_FORMATS,
          default: 'md',
          describe: 'Markdown, CSV (an interval as five numeric columns: value, low, high, n, method), LaTeX (booktabs) or aligned text',
        })
        .example('$0 table runs/quick --format latex', 'the leaderboard for a paper')
        .example('$0 table runs/quick --what per-fold --format csv > folds.csv', 'numbers for pandas or R'),
    async (a) => {
      const { formatTable, buildTable, reportView, readRun } = await lazy.tables();
      const results = readRun(resolve(a.run!)).results();
      process.stdout.write(formatTable(buildTable(reportView(results), a.what as TableKind), a.format as TableFormat));
    },
  )
  .command(
    'schema',
    'print the JSON Schema of the suite format (editor completion: suites/suite.schema.json)',
    (y) => y.example('$0 schema > suite.schema.json', 'for yaml-language-server'),
    async () => {
      process.stdout.write(JSON.stringify(suiteJsonSchema(), null, 2) + '\n');
    },
  )
  .command(
    'report <run>',
    'rebuild results and the report site of a run folder',
    (y) =>
      y
        .positional('run', { type: 'string', demandOption: true, describe: 'a run folder' })
        .option('out', { type: 'string', describe: 'site folder (default <run>/site)' })
        .example('$0 report runs/quick', 'results.json, tables and the site again, from the run folder alone'),
    async (a) => {
      const { report } = await lazy.report();
      const site = await report(resolve(a.run!), a.out ? resolve(a.out) : undefined);
      process.stdout.write(`report: ${join(site, 'index.html')}\n`);
    },
  )
  .command(
    'predict <run> <inputs..>',
    "apply a run's fitted models to recordings (WAV files, folders, manifests) through the same front end",
    (y) =>
      y
        .positional('run', { type: 'string', demandOption: true, describe: 'a run folder' })
        .positional('inputs', {
          type: 'string',
          array: true,
          demandOption: true,
          default: undefined,
          describe: 'WAV files, folders of them, or manifests (.csv, .jsonl)',
        })
        .option('model', { type: 'string', describe: "the run's model to apply (default: its only one)" })
        .option('job', { type: 'string', describe: 'one job of it (default: the mean of the probabilities of all its jobs)' })
        .option('out', { type: 'string', describe: 'write the per-clip probabilities here as CSV (the columns of predictions.csv)' })
        .example('$0 predict runs/quick new-recordings/ --model svm', "each recording's class and probabilities under the run's SVM (the mean over its jobs)"),
    async (a) => {
      const { predictCommand } = await lazy.predict();
      process.stdout.write(
        await predictCommand(
          resolve(a.run!),
          (a.inputs as string[]).map((i) => resolve(i)),
          { model: a.model, job: a.job, out: a.out && resolve(a.out) },
        ),
      );
    },
  )
  .command(
    'compare <runs..>',
    'compare runs with the first: suite differences, paired tests where they share test clips, per-class deltas',
    (y) =>
      y
        .positional('runs', {
          type: 'string',
          array: true,
          demandOption: true,
          default: undefined,
          describe: 'two or more run folders; the first is the baseline',
        })
        .option('out', { type: 'string', describe: 'folder (default compare-<first>-vs-<others>)' })
        .example('$0 compare runs/baseline runs/new-recipe', 'a summary table here, the comparison page in compare-baseline-vs-new-recipe/'),
    async (a) => {
      const runs = (a.runs as string[]).map((r) => resolve(r));
      if (runs.length < 2) fail('compare needs at least two run folders (the first is the baseline)', EXIT_INVALID);
      const out = resolve(a.out ?? `compare-${runs.map((r) => fileComponent(basename(r))).join('-vs-')}`);
      const { comparePages } = await lazy.compare();
      const { summary } = await comparePages(runs, out);
      process.stdout.write(`${summary}\ncomparison: ${join(out, 'index.html')}\n`);
    },
  )
  .command(
    'site <runs..>',
    'build one static site over many runs, for publishing',
    (y) =>
      y
        .positional('runs', { type: 'string', array: true, demandOption: true, default: undefined, describe: 'run folders (with results.json)' })
        .option('out', { type: 'string', default: 'site', describe: 'site folder' })
        .option('title', { type: 'string', default: 'serbench runs', describe: "the site's title" })
        .example('$0 site runs/* --out public --title "Our SER models"', 'one site over every run, ready for a static host'),
    async (a) => {
      const { collectionSite } = await lazy.compare();
      const out = await collectionSite(
        (a.runs as string[]).map((r) => resolve(r)),
        resolve(a.out),
        a.title,
      );
      process.stdout.write(`site: ${join(out, 'index.html')}\n`);
    },
  )
  .command(
    'merge <out> <shards..>',
    'combine shard run folders of one suite into one run and build its report',
    (y) =>
      y
        .positional('out', { type: 'string', demandOption: true, describe: 'the merged run folder' })
        .positional('shards', {
          type: 'string',
          array: true,
          demandOption: true,
          default: undefined,
          describe: 'the shard run folders (serbench run --shard i/n)',
        })
        .example('$0 merge runs/all runs/part-*', 'one run and one report from the shards'),
    async (a) => {
      const { mergeShards } = await lazy.merge();
      const { report } = await lazy.report();
      const n = mergeShards(
        resolve(a.out!),
        (a.shards as string[]).map((s) => resolve(s)),
      );
      const site = await report(resolve(a.out!));
      process.stdout.write(`merged ${n} job(s) into ${a.out}\nreport: ${join(site, 'index.html')}\n`);
    },
  )
  .demandCommand(1, 'name a command (serbench --help lists them)')
  .recommendCommands()
  .strict()
  .help()
  // Handlers are async so that their errors reach this one place: an invalid suite lists its problems (exit 2),
  // a usage mistake says what is wrong (exit 2), anything else is one line (exit 1).
  .fail((message, error) => {
    if (error instanceof SuiteError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_INVALID);
    }
    if (error) fail(error.message);
    // yargs' own suggestion for a mistyped command is only "Did you mean run?": say which word it was about.
    const said = /^Did you mean/.test(message) ? `unknown command "${hideBin(process.argv)[0]}"; d${message.slice(1)}` : `${message}${didYouMean(message)}`;
    fail(`${said} (serbench --help lists the commands and options)`, EXIT_INVALID);
  })
  .parseAsync();
