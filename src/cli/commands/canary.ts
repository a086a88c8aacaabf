/**
 * `traffic canary`: a progressive weight shift with a gate between the steps. Prints a progress bar on
 * a TTY, one line per step otherwise, one JSON event per line with `-o json`. SIGINT/SIGTERM leave the
 * current weight and print the commands to resume or roll back (exit 130/143); a failing gate rolls
 * the build back (exit 1).
 */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CanaryEvent, CanaryRequest, CanaryResult } from '../../app/canary.js';
import type { Gate } from '../../gates/gate.js';
import { quoteShellWord, splitShellWords } from '../../gates/shell-words.js';
import { parseBuild, parseDestination, parseDuration, parsePodSelector } from '../../input/flags.js';
import { parseHttpUrl, parseNumber, parsePositiveInteger, parseSteps, redactUrl } from '../../input/strategy-flags.js';
import { ExitCode, openIstiops, printStructured, progressToStderr, type CliIO, type CommandModule } from '../context.js';
import { buildOption, destinationOption, globalsOf, labelSelectorOption, podSelectorOption, scalar, selectorOf, withExamples, type Globals } from '../options.js';

interface CanaryFlags {
  labelSelector?: string;
  destination: string;
  build: string;
  podSelector: string;
  steps: string;
  /** Default `60s`. */
  interval?: string;
  promote: boolean;
  prometheusUrl?: string;
  query?: string;
  max?: string;
  min?: string;
  allowEmpty?: boolean;
  gateFailures?: string;
  gateCmd?: string;
}

/** The gate the flags ask for, validated. */
export type GateSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'command'; readonly text: string; readonly words: readonly string[] }
  | {
      readonly kind: 'prometheus';
      readonly url: URL;
      readonly query: string;
      readonly bound: { readonly max: number } | { readonly min: number };
      readonly allowEmpty: boolean;
      readonly failures: number;
    };

const DAY_MS = 24 * 3_600_000;

/** Parses and checks every canary flag (before any request). @throws UsageError naming the flag. */
export function canaryFlags(o: CanaryFlags): { request: CanaryRequest; intervalMs: number; gate: GateSpec } {
  const destination = parseDestination(o.destination);
  const build = parseBuild(o.build);
  const podSelector = parsePodSelector(o.podSelector);
  const steps = parseSteps(o.steps, o.promote);
  const interval = o.interval ?? '60s';
  const intervalMs = parseDuration(interval, '--interval');
  if (intervalMs > DAY_MS) throw new UsageError(`--interval "${interval}": must be at most 24h`);
  return { request: { destination, build, podSelector, steps, promote: o.promote }, intervalMs, gate: gateSpec(o) };
}

function gateSpec(o: CanaryFlags): GateSpec {
  const promFlags = [
    ['--query', o.query],
    ['--max', o.max],
    ['--min', o.min],
    ['--allow-empty', o.allowEmpty],
    ['--gate-failures', o.gateFailures],
  ] as const;
  if (o.gateCmd !== undefined) {
    if (o.prometheusUrl !== undefined) throw new UsageError('--gate-cmd and --prometheus-url are exclusive: give one gate');
    for (const [flag, value] of promFlags) if (value !== undefined) throw new UsageError(`${flag} belongs to the --prometheus-url gate; it cannot be combined with --gate-cmd`);
    return { kind: 'command', text: o.gateCmd, words: splitShellWords(o.gateCmd) };
  }
  if (o.prometheusUrl === undefined) {
    for (const [flag, value] of promFlags) if (value !== undefined) throw new UsageError(`${flag} needs --prometheus-url`);
    return { kind: 'none' };
  }
  const url = parseHttpUrl(o.prometheusUrl);
  if (o.query === undefined || o.query.trim() === '') throw new UsageError('--prometheus-url needs --query PROMQL');
  if (o.max !== undefined && o.min !== undefined) throw new UsageError('--max and --min are exclusive: give one bound');
  if (o.max === undefined && o.min === undefined) throw new UsageError('--prometheus-url needs --max V or --min V');
  const bound = o.max !== undefined ? { max: parseNumber(o.max, '--max') } : { min: parseNumber(o.min as string, '--min') };
  const failures = o.gateFailures === undefined ? 3 : parsePositiveInteger(o.gateFailures, '--gate-failures');
  return { kind: 'prometheus', url, query: o.query, bound, allowEmpty: o.allowEmpty === true, failures };
}

async function buildGate(spec: GateSpec, g: Globals, log: (line: string) => void): Promise<Gate | undefined> {
  if (spec.kind === 'none') return undefined;
  if (spec.kind === 'command') {
    const { CommandGate } = await import('../../gates/command-gate.js');
    return new CommandGate({ command: spec.words });
  }
  const { PrometheusGate } = await import('../../gates/prometheus-gate.js');
  const common = {
    url: spec.url,
    query: spec.query,
    allowEmpty: spec.allowEmpty,
    failures: spec.failures,
    timeoutMs: g.requestTimeoutMs > 0 ? g.requestTimeoutMs : 30_000,
    onRetry: (attempt: number, reason: string) => log(`gate query failed (${attempt}/${spec.failures}), retrying in 1s: ${reason}`),
  };
  return 'max' in spec.bound ? new PrometheusGate({ ...common, max: spec.bound.max }) : new PrometheusGate({ ...common, min: spec.bound.min });
}

/** `60000` -> `1m`, `1500` -> `1.5s`: the interval as the user would write it. */
function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/** The global flags that pick the same objects again, for the printed commands. */
function globalWords(g: Globals, namespace: string): string[] {
  const words = ['-n', namespace];
  for (const m of g.manifests) words.push('--manifests', m);
  if (g.kubeconfig !== undefined) words.push('--kubeconfig', g.kubeconfig);
  if (g.context !== undefined) words.push('--context', g.context);
  return words;
}

function gateWords(o: CanaryFlags, spec: GateSpec): string[] {
  if (spec.kind === 'command') return ['--gate-cmd', spec.text];
  if (spec.kind === 'none') return [];
  const words = ['--prometheus-url', redactUrl(o.prometheusUrl as string), '--query', spec.query];
  words.push(...('max' in spec.bound ? ['--max', o.max as string] : ['--min', o.min as string]));
  if (spec.allowEmpty) words.push('--allow-empty');
  if (o.gateFailures !== undefined) words.push('--gate-failures', o.gateFailures);
  return words;
}

const commandLine = (words: readonly string[]): string => ['istiops', ...words].map(quoteShellWord).join(' ');

/** Receives the canary's events and prints them in one of the three forms. */
interface Reporter {
  event(e: CanaryEvent): void;
  /** A line of information (retries of the gate's query, warnings). */
  note(line: string): void;
  /** Stops the bar, if any, and flushes the events before the final lines. */
  close(): Promise<void>;
}

function changeLines(e: { outcome: { plan: { changes: readonly { kind: string; namespace: string; name: string; message: string }[] } } }): string[] {
  return e.outcome.plan.changes.map((c) => `  ${c.kind} ${c.namespace}/${c.name}: ${c.message}`);
}

function describeEvent(e: CanaryEvent, subset: string, intervalMs: number): string[] {
  switch (e.kind) {
    case 'plan':
      return [`canary of ${subset}: steps ${e.steps.map((s) => `${s}%`).join(', ')}; interval ${formatMs(e.intervalMs)}; gate: ${e.gate ?? 'none'}`];
    case 'step-started':
      return [];
    case 'step-done': {
      const next = e.step < e.steps ? `; next check in ${formatMs(intervalMs)}` : '';
      return [`step ${e.step}/${e.steps}: ${e.weight}%${next}`, ...(e.outcome.plan.changes.length === 0 ? ['  no changes'] : changeLines(e))];
    }
    case 'waiting':
      return [];
    case 'gate':
      return [`gate at ${e.weight}%: ${e.result.pass ? 'pass' : 'FAIL'}: ${e.result.reason}`];
    case 'rolled-back':
      return [`rolled back from ${e.weight}%:`, ...changeLines(e)];
    case 'promoted':
      return [`promoted: ${subset} takes 100%`];
    case 'completed':
      return [`done: ${subset} keeps ${e.weight}% (--no-promote)`];
  }
}

function jsonEvent(e: CanaryEvent): Record<string, unknown> {
  const changes = (o: { plan: { changes: readonly { kind: string; namespace: string; name: string; message: string }[] } }): string[] =>
    o.plan.changes.map((c) => `${c.kind} ${c.namespace}/${c.name}: ${c.message}`);
  switch (e.kind) {
    case 'plan':
      return { event: 'plan', steps: e.steps, intervalMs: e.intervalMs, gate: e.gate, promote: e.promote };
    case 'step-started':
      return { event: 'step-started', step: e.step, steps: e.steps, weight: e.weight };
    case 'step-done':
      return { event: 'step-done', step: e.step, steps: e.steps, weight: e.weight, changes: changes(e.outcome), warnings: e.outcome.plan.warnings };
    case 'waiting':
      return { event: 'waiting', step: e.step, weight: e.weight, ms: e.ms };
    case 'gate':
      return { event: 'gate', step: e.step, weight: e.weight, pass: e.result.pass, value: e.result.value ?? null, reason: e.result.reason };
    case 'rolled-back':
      return { event: 'rolled-back', outcome: 'rolled-back', step: e.step, weight: e.weight, value: e.result.value ?? null, reason: e.result.reason, changes: changes(e.outcome) };
    case 'promoted':
      return { event: 'promoted', outcome: 'promoted', weight: 100 };
    case 'completed':
      return { event: 'completed', outcome: 'completed', weight: e.weight };
  }
}

async function reporterFor(g: Globals, io: CliIO, subset: string, intervalMs: number): Promise<Reporter> {
  const seen = new Set<string>();
  const warnOnce = (w: string, print: (line: string) => void): void => {
    if (seen.has(w)) return;
    seen.add(w);
    print(w.startsWith('warning:') ? w : `note: ${w}`);
  };
  if (g.output !== 'pretty') {
    const print = async (doc: Record<string, unknown>): Promise<void> => {
      if (g.output === 'json') io.stdout(`${JSON.stringify(doc)}\n`);
      else {
        io.stdout('---\n');
        await printStructured(doc, 'yaml', io);
      }
    };
    // YAML rendering loads lazily; keep the events in order.
    let queue = Promise.resolve();
    return {
      event: (e) => {
        const doc = jsonEvent(e);
        queue = queue.then(() => print(doc));
      },
      note: (line) => io.stderr(`${line}\n`),
      close: () => queue,
    };
  }
  const stderr = process.stderr;
  if (!io.isTTY || stderr.isTTY !== true) {
    return {
      event: (e) => {
        if (e.kind === 'step-done') for (const w of e.outcome.plan.warnings) warnOnce(w, (l) => io.stderr(`${l}\n`));
        for (const line of describeEvent(e, subset, intervalMs)) io.stdout(`${line}\n`);
      },
      note: (line) => io.stderr(`${line}\n`),
      close: () => Promise.resolve(),
    };
  }
  // On a terminal: a bar (the build's weight) with the step and the time to the next check, and the
  // step lines scrolling above it, all on stderr so that the two never interleave.
  // A CommonJS package: its exports are on `default` once bundled.
  const cliProgress = (await import('cli-progress')).default;
  const { MultiBar, Presets } = cliProgress;
  const multi = new MultiBar(
    { stream: stderr, format: ' {bar} {value}% | step {step} | {status}', hideCursor: true, clearOnComplete: true, barsize: 30 },
    Presets.shades_classic,
  );
  let steps = 0;
  const bar = multi.create(100, 0, { step: '-', status: 'starting' });
  let timer: NodeJS.Timeout | undefined;
  const stopTimer = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  // The bar redraws by moving the cursor up one row per logged line: a line longer than the terminal
  // would wrap and be partly overwritten, so long lines are cut into rows first.
  const log = (line: string): void => {
    const width = Math.max(20, (stderr.columns > 0 ? stderr.columns : 80) - 1);
    for (let i = 0; i === 0 || i < line.length; i += width) multi.log(`${line.slice(i, i + width)}\n`);
  };
  return {
    event: (e) => {
      if (e.kind === 'step-done') for (const w of e.outcome.plan.warnings) warnOnce(w, log);
      for (const line of describeEvent(e, subset, intervalMs)) log(line);
      if (e.kind === 'plan') steps = e.steps.length;
      if (e.kind === 'step-started') {
        stopTimer();
        bar.update({ step: `${e.step}/${steps}`, status: `shifting to ${e.weight}%` });
      } else if (e.kind === 'step-done') {
        bar.update(e.weight, { status: e.step < e.steps ? 'waiting' : 'done' });
      } else if (e.kind === 'waiting') {
        const until = Date.now() + e.ms;
        const tick = (): void => bar.update({ status: `next check in ${Math.max(0, Math.ceil((until - Date.now()) / 1000))}s` });
        tick();
        timer = setInterval(tick, 1000);
        timer.unref();
      } else if (e.kind === 'gate') {
        stopTimer();
        bar.update({ status: e.result.pass ? 'gate passed' : 'gate failed' });
      }
    },
    note: log,
    close: () => {
      stopTimer();
      multi.update(); // flushes the lines logged since the last redraw
      multi.stop();
      return Promise.resolve();
    },
  };
}

/** `istiops traffic canary`: a progressive weight shift gated between steps. */
export const canary: CommandModule = {
  parent: 'traffic',
  create: ({ io }) =>
    withExamples(
      new Command('canary')
        .description('shift weight to a build step by step, checking a gate between steps; roll back when it fails')
        .addOption(labelSelectorOption())
        .addOption(destinationOption().makeOptionMandatory())
        .addOption(buildOption().makeOptionMandatory())
        .addOption(podSelectorOption().makeOptionMandatory())
        .addOption(scalar('--steps <list>', 'weights, strictly increasing integers 1..100 ending at 100, e.g. 10,25,50,100').makeOptionMandatory())
        .addOption(scalar('--interval <duration>', 'wait after each step before the gate and the next step (default 60s)'))
        .option('--no-promote', 'end at the last step (below 100) instead of promoting')
        .addOption(scalar('--prometheus-url <url>', 'gate: Prometheus server base URL (with --query and --max or --min)'))
        .addOption(scalar('--query <promql>', 'gate: PromQL instant query'))
        .addOption(scalar('--max <value>', 'gate: fail when the value is above'))
        .addOption(scalar('--min <value>', 'gate: fail when the value is below'))
        .option('--allow-empty', 'gate: no series (or NaN) passes instead of failing')
        .addOption(scalar('--gate-failures <n>', 'gate: consecutive query errors that fail the gate (default 3)'))
        .addOption(scalar('--gate-cmd <command>', 'gate: a command (split like a shell, no expansion); exit 0 passes'))
        .action((o: CanaryFlags, c: Command) => canaryAction(io, o, c)),
      [
        ['10%, 25%, 50% then 100% of reviews to build 3, a minute apart, while a command passes', "$0 traffic canary -n bookinfo -d reviews:9080 -b 3 -p app=reviews,version=v3 --steps 10,25,50,100 --interval 1m --gate-cmd './smoke-test.sh reviews'"],
        ['gated on the 5xx rate Prometheus sees, stopping at 50%', "$0 traffic canary -n bookinfo -d reviews:9080 -b 3 -p app=reviews,version=v3 --steps 10,50 --no-promote --prometheus-url http://prometheus:9090 --query 'sum(rate(istio_requests_total{destination_workload=\"reviews-v3\",response_code=~\"5..\"}[1m]))' --max 0.01"],
        ['print the steps without writing anything', '$0 traffic canary -n bookinfo -d reviews:9080 -b 3 -p app=reviews,version=v3 --steps 10,100 --dry-run'],
      ],
    ),
};

async function canaryAction(io: CliIO, o: CanaryFlags, c: Command): Promise<void> {
  const g = globalsOf(c);
  const labelSelector = selectorOf(o.labelSelector);
  const { request, intervalMs, gate: spec } = canaryFlags(o);
  const { istiops, namespace } = await openIstiops(g, io, progressToStderr(io));
  const { subsetNameFor } = await import('../../domain/names.js');
  const subset = subsetNameFor(request.destination.host, request.build, namespace);
  const reporter = await reporterFor(g, io, subset, intervalMs);
  const gate = await buildGate(spec, g, (line) => reporter.note(line));
  const { runCanary, CanaryStepError } = await import('../../app/canary.js');

  // A dry run returns at once: nothing to interrupt.
  const signal = g.dryRun === 'none' ? io.interrupts?.() : undefined;
  let result: CanaryResult;
  try {
    result = await runCanary(istiops, { namespace, labelSelector }, request, {
      intervalMs,
      ...(signal !== undefined ? { signal } : {}),
      onEvent: (e) => reporter.event(e),
      dryRun: g.dryRun,
      force: g.force,
      ...(gate !== undefined ? { gate } : {}),
    });
  } catch (e) {
    await reporter.close();
    if (e instanceof CanaryStepError && e.weight > 0) printStopped(e.weight, e.remainingSteps, undefined);
    throw e;
  }
  await reporter.close();

  function printStopped(weight: number, remaining: readonly number[], signal: string | undefined): void {
    const base = globalWords(g, namespace);
    const common = [...(o.labelSelector !== undefined ? ['-l', o.labelSelector] : []), '-d', o.destination, '-b', o.build];
    const resume = commandLine(['traffic', 'canary', ...common, '-p', o.podSelector, '--steps', remaining.join(','), '--interval', o.interval ?? '60s', ...gateWords(o, spec), ...(o.promote ? [] : ['--no-promote']), ...base, ...(g.force ? ['--force'] : [])]);
    // The rollback interlock protects a build that carries most of the traffic; this one is the canary's own.
    const rollback = weight > 0 ? commandLine(['traffic', 'rollback', ...common, ...base, ...(weight > 50 ? ['--force'] : [])]) : null;
    if (g.output === 'pretty') {
      io.stdout(`to resume:    ${resume}\n`);
      if (rollback !== null) io.stdout(`to roll back: ${rollback}\n`);
    } else if (g.output === 'json') {
      io.stdout(`${JSON.stringify({ event: signal === undefined ? 'failed' : 'interrupted', outcome: signal === undefined ? 'failed' : 'interrupted', signal: signal ?? null, weight, remainingSteps: remaining, resume, rollback })}\n`);
    }
  }

  switch (result.outcome) {
    case 'planned': {
      if (g.output !== 'pretty') {
        const doc = { event: 'planned', outcome: 'planned', steps: result.steps, intervalMs: result.intervalMs, gate: result.gate, firstStep: result.firstStep.plan.changes.map((ch) => `${ch.kind} ${ch.namespace}/${ch.name}: ${ch.message}`) };
        if (g.output === 'json') io.stdout(`${JSON.stringify(doc)}\n`);
        else {
          io.stdout('---\n');
          await printStructured(doc, 'yaml', io);
        }
        return;
      }
      io.stdout(`dry run: nothing written. ${result.steps.length} step${result.steps.length === 1 ? '' : 's'}:\n`);
      result.steps.forEach((s, i) => {
        const last = i === result.steps.length - 1;
        const after = last ? (s === 100 ? ' (promotion)' : ' (the build keeps it: --no-promote)') : `, then wait ${formatMs(result.intervalMs)}${gate !== undefined ? ' and check the gate' : ''}`;
        io.stdout(`  step ${i + 1}/${result.steps.length}: ${s}%${after}\n`);
      });
      io.stdout(`the first step would change:\n`);
      const changes = result.firstStep.plan.changes;
      io.stdout(changes.length === 0 ? '  no changes\n' : changes.map((ch) => `  ${ch.kind} ${ch.namespace}/${ch.name}: ${ch.message}\n`).join(''));
      return;
    }
    case 'promoted':
    case 'completed':
      return;
    case 'rolled-back':
      io.stderr(`istiops: canary rolled back at ${result.weight}%: the gate failed: ${result.gate.reason}\n`);
      throw new ExitCode(1);
    case 'interrupted': {
      const signal = typeof result.reason === 'string' ? result.reason : 'SIGINT';
      io.stderr(`istiops: canary interrupted by ${signal}: ${subset} keeps ${result.weight}%\n`);
      printStopped(result.weight, result.remainingSteps, signal);
      throw new ExitCode(signal === 'SIGTERM' ? 143 : 130);
    }
  }
}
