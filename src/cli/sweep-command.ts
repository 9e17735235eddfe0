/**
 * `cnnscope sweep` (declared in sweep.ts): a model's totals over input resolutions, batches and parameter values (one axis
 * or a grid), and `--fit`: the largest batch or resolution within bounds.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  fit,
  MAX_SWEEP_POINTS,
  PointAnalyzer,
  sweep,
  SweepPointError,
  sweepReport,
  type FitBound,
  type FitCandidates,
  type SweepAxis,
} from '../analysis/sweep.js';
import { escapeUnprintable, grouped } from '../graph/diagnostics.js';
import { parseQuantity, type Unit } from '../quantity.js';
import { renderJson } from '../report/json.js';
import { colourFor } from '../report/style.js';
import { renderSweepCsv, renderSweepTable } from '../report/sweep.js';
import { renderSweepHtml } from '../report/sweep-html.js';
import { COUNT_TOTALS, DTYPES, MAX_BATCH, OPTIMIZER_STATES, TOTALS, type TotalName } from '../vocabulary.js';
import { resolveFormat } from './format.js';
import { UsageError, type CliIo } from './io.js';
import { modelBuilder, parseSets } from './load.js';
import { parseChoice } from './options.js';

const SWEEP_FORMATS = ['table', 'csv', 'json', 'html'] as const;

export interface SweepFlags {
  resolution?: string;
  batch?: string;
  set: string[];
  input?: string;
  preset?: string;
  dtype: string;
  optimizer: string;
  fit: string[];
  fitOver?: string;
  format?: string;
  json?: boolean;
  html?: boolean;
  output?: string;
}

export async function sweepCommand(spec: string, flags: SweepFlags, io: CliIo): Promise<void> {
  const format = resolveHtmlFormat(flags);
  const dtype = parseChoice('--dtype', flags.dtype, DTYPES);
  const optimizer = parseChoice('--optimizer', flags.optimizer, OPTIMIZER_STATES);
  const bounds = flags.fit.map(parseBound);
  const over = flags.fitOver === undefined ? 'batch' : parseChoice('--fit-over', flags.fitOver, { batch: 1, resolution: 1 });
  if (flags.fitOver !== undefined && bounds.length === 0) throw new UsageError('--fit-over says what --fit searches; give a --fit bound');

  // A --set with a comma list at its top level is an axis; otherwise it holds at every point.
  const fixedSets = flags.set.filter((s) => splitTopLevel(s.slice(s.indexOf('=') + 1)).length <= 1);
  const varied = flags.set.filter((s) => !fixedSets.includes(s));

  const axes: SweepAxis[] = [];
  if (flags.resolution !== undefined) axes.push(integerAxis('resolution', '--resolution', flags.resolution, 1, 1 << 20));
  if (flags.batch !== undefined) axes.push(integerAxis('batch', '--batch', flags.batch, 1, MAX_BATCH));
  for (const v of varied) axes.push(parameterAxis(v));
  const names = axes.map((a) => a.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new UsageError(`'${repeated}' is an axis twice; give its values once`);
  if (axes.length === 0 && bounds.length === 0) {
    throw new UsageError('give an axis to sweep (--resolution, --batch, --set name=v1,v2) or a --fit bound');
  }
  const points = axes.reduce((n, a) => n * a.values.length, 1);
  if (points > MAX_SWEEP_POINTS) {
    throw new UsageError(`the grid has ${grouped(points)} points, more than the ${grouped(MAX_SWEEP_POINTS)} a sweep takes`);
  }

  const build = await modelBuilder(
    spec,
    { ...(flags.input !== undefined ? { input: flags.input } : {}), set: fixedSets, ...(flags.preset ? { preset: flags.preset } : {}) },
    io,
  );
  const base = build({});
  const channels = base.inputShape.length === 3 ? base.inputShape[0] : undefined;
  const analyzer = new PointAnalyzer(
    (point) => {
      if (point.resolution === undefined) return Object.keys(point.set).length === 0 ? base : build({ set: point.set });
      if (channels === undefined)
        throw new UsageError(`--resolution: the model's input ${JSON.stringify(base.inputShape)} has no height and width`);
      return build({ input: [channels, point.resolution, point.resolution], set: point.set });
    },
    { dtype, optimizer },
  );

  let report;
  try {
    if (bounds.length > 0) {
      const searched = axes.find((a) => a.name === over);
      let candidates: FitCandidates;
      if (searched) candidates = { list: searched.values as number[] };
      else if (over === 'batch') candidates = { from: 1, to: MAX_BATCH };
      else throw new UsageError('--fit-over resolution searches the --resolution values; give them, like --resolution 224:1024:32');
      const others = axes.filter((a) => a !== searched);
      report = sweepReport(
        base.name,
        others,
        { dtype, optimizer },
        { fit: { over, bounds, answers: fit(others, over, candidates, bounds, analyzer) } },
      );
    } else {
      report = sweepReport(base.name, axes, { dtype, optimizer }, { points: sweep(axes, analyzer) });
    }
  } catch (e) {
    // A point that does not build or analyze: the one-line error of the model, with the point named.
    if (e instanceof SweepPointError) {
      if (e.cause instanceof UsageError) throw e.cause;
      throw new UsageError(e.message);
    }
    throw e;
  }
  const text = {
    table: () => renderSweepTable(report, colourFor(flags.output !== undefined ? {} : io.stdout, io.env)),
    csv: () => renderSweepCsv(report),
    json: () => renderJson(report),
    html: () => renderSweepHtml(report),
  }[format]();
  if (flags.output === undefined) {
    io.stdout.write(text);
    return;
  }
  try {
    writeFileSync(resolve(io.cwd, flags.output), text);
  } catch (e) {
    throw new UsageError(`--output ${flags.output}: cannot write the file: ${(e as Error).message}`);
  }
}

function resolveHtmlFormat(flags: SweepFlags): (typeof SWEEP_FORMATS)[number] {
  if (flags.html && ((flags.format !== undefined && flags.format !== 'html') || flags.json)) {
    throw new UsageError(`--html and --${flags.json ? 'json' : `format ${flags.format}`} disagree; give one`);
  }
  return resolveFormat({ ...flags, ...(flags.html ? { format: 'html' } : {}) }, SWEEP_FORMATS, 'table');
}

/** The most values an axis expands to: a range past it is refused before it is expanded. */
const MAX_AXIS_VALUES = MAX_SWEEP_POINTS;

/** `128:512:32` (inclusive), `1:64` (step 1) or `1,8,32`: whole numbers from min to max. */
export function parseIntegerValues(option: string, text: string, min: number, max: number): number[] {
  const bad = (why: string): never => {
    throw new UsageError(`${option} ${escapeUnprintable(text)}: ${why}`);
  };
  const int = (s: string) => {
    const t = s.trim();
    if (!/^\d+$/.test(t)) bad(`'${t}' is not a whole number`);
    const n = Number(t);
    if (n < min || n > max) bad(`${t} is out of range (${grouped(min)} to ${grouped(max)})`);
    return n;
  };
  if (text.includes(':')) {
    const parts = text.split(':');
    if (parts.length > 3) bad('a range is start:stop or start:stop:step');
    const [start, stop] = [int(parts[0]), int(parts[1])];
    const step = parts.length === 3 ? int(parts[2]) : 1;
    if (step < 1) bad('the step must be at least 1');
    if (stop < start) bad('the range stops before it starts');
    const count = Math.floor((stop - start) / step) + 1;
    if (count > MAX_AXIS_VALUES) bad(`the range has ${grouped(count)} values, more than the ${grouped(MAX_AXIS_VALUES)} a sweep takes`);
    return Array.from({ length: count }, (_, i) => start + i * step);
  }
  const values = text.split(',').map(int);
  if (values.length > MAX_AXIS_VALUES) bad(`more than ${grouped(MAX_AXIS_VALUES)} values`);
  if (new Set(values).size !== values.length) bad('a value is given twice');
  return values;
}

function integerAxis(name: 'resolution' | 'batch', option: string, text: string, min: number, max: number): SweepAxis {
  const values = parseIntegerValues(option, text, min, max);
  return { name, kind: name, labels: values.map(String), values };
}

/** `width=0.5,1,2`: each value read as `--set` reads one (YAML), so `[1, 2]` stays a list. */
function parameterAxis(text: string): SweepAxis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${escapeUnprintable(text)}: expected name=v1,v2,..., like width=0.5,1,2`);
  const name = text.slice(0, eq).trim();
  const labels = splitTopLevel(text.slice(eq + 1)).map((s) => s.trim());
  if (labels.length > MAX_AXIS_VALUES) throw new UsageError(`--set ${name}: more than ${grouped(MAX_AXIS_VALUES)} values`);
  if (new Set(labels).size !== labels.length) throw new UsageError(`--set ${escapeUnprintable(text)}: a value is given twice`);
  const values = labels.map((label) => parseSets([`${name}=${label}`])[name]);
  return { name, kind: 'parameter', labels, values };
}

/** Splits at the commas outside brackets and quotes: `[1, 2],[3, 4]` is two values. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `training_bytes<=24GiB`, `macs < 5G`. */
export function parseBound(text: string): FitBound {
  const m = /^\s*([a-z_]+)\s*(<=|<)\s*(.+?)\s*$/.exec(text);
  if (!m) {
    throw new UsageError(`--fit ${escapeUnprintable(text)}: expected a total, <= or <, and a limit, like 'training_bytes<=24GiB'`);
  }
  const [, metric, relation, limitText] = m;
  if (!(TOTALS as readonly string[]).includes(metric)) {
    throw new UsageError(`--fit ${escapeUnprintable(text)}: '${metric}' is not a total; expected one of ${TOTALS.join(', ')}`);
  }
  const unit: Unit = (COUNT_TOTALS as readonly string[]).includes(metric) ? (metric as Unit) : 'bytes';
  const limit = parseQuantity(limitText, unit);
  if (typeof limit === 'string') throw new UsageError(`--fit ${escapeUnprintable(text)}: ${limit}`);
  return { metric: metric as TotalName, relation: relation as '<=' | '<', limit, text: `${metric}${relation}${limitText}` };
}
