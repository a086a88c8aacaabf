/**
 * The command line: parses flags into typed requests, runs the use case, prints the result. Heavy
 * modules (the Kubernetes client, YAML, schema validation) load only inside the actions that use them,
 * so `istiops version` starts at the speed of bare Node.
 */
import { Command, CommanderError, Option } from 'commander';
import { IstiopsError, UsageError } from '../errors.js';
import { parseLabelSelector } from '../domain/label-selector.js';
import type { ClearRequest, RollbackRequest, ShiftRequest } from '../domain/requests.js';
import {
  checkRe2,
  parseBuild,
  parseClearMode,
  parseDestination,
  parseDryRun,
  parseDuration,
  parseHeaders,
  parseHost,
  parseNamespace,
  parseOutput,
  parsePodSelector,
  parsePort,
  parseWeight,
  type DryRunMode,
  type OutputFormat,
} from '../input/flags.js';
import type { Istiops, Outcome, ProgressEvent } from '../app/istiops.js';

declare const __ISTIOPS_VERSION__: string | undefined;

/** The version baked in at build time. */
export const VERSION = typeof __ISTIOPS_VERSION__ === 'string' ? __ISTIOPS_VERSION__ : '0.0.0-dev';

/** Where the CLI writes; injectable for tests. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
}

interface GlobalFlags {
  namespace?: string;
  output: string;
  kubeconfig?: string;
  context?: string;
  manifests?: string[];
  dryRun?: string;
  requestTimeout: string;
  propagationWait: string;
  force?: boolean;
}

/** Global flags after validation. */
interface Globals {
  readonly namespace: string | undefined;
  readonly output: OutputFormat;
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly manifests: readonly string[];
  readonly dryRun: DryRunMode;
  readonly requestTimeoutMs: number;
  readonly propagationWaitMs: number;
  readonly force: boolean;
}

function parseGlobals(flags: GlobalFlags): Globals {
  const manifests = flags.manifests ?? [];
  if (manifests.length > 0 && (flags.kubeconfig !== undefined || flags.context !== undefined)) {
    throw new UsageError('--manifests works on files: it cannot be combined with --kubeconfig or --context');
  }
  const dryRun = flags.dryRun === undefined ? 'none' : parseDryRun(flags.dryRun);
  if (dryRun === 'server' && manifests.length > 0) throw new UsageError('--dry-run=server needs an API server; with --manifests use --dry-run');
  return {
    namespace: flags.namespace === undefined ? undefined : parseNamespace(flags.namespace),
    output: parseOutput(flags.output),
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    manifests,
    dryRun,
    requestTimeoutMs: parseDuration(flags.requestTimeout, '--request-timeout'),
    propagationWaitMs: parseDuration(flags.propagationWait, '--propagation-wait'),
    force: flags.force === true,
  };
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Opens the store the flags name, and resolves the namespace (`-n`, else the context's, else `default`). */
async function openIstiops(g: Globals, io: CliIO): Promise<{ istiops: Istiops; namespace: string }> {
  const { Istiops } = await import('../app/istiops.js');
  const onProgress = (e: ProgressEvent): void => {
    if (e.kind === 'retry') io.stderr(`retrying in ${e.delayMs}ms (attempt ${e.attempt + 1}): ${e.reason}\n`);
    if (e.kind === 'note') io.stderr(`note: ${e.text}\n`);
    if (e.kind === 'propagation-wait') io.stderr(`waiting ${e.delayMs / 1000}s for Istio to push the new subset to the proxies (--propagation-wait)\n`);
  };
  if (g.manifests.length > 0) {
    const { ManifestStore } = await import('../store/manifest-store.js');
    return { istiops: new Istiops(new ManifestStore({ paths: g.manifests }), { onProgress }), namespace: g.namespace ?? 'default' };
  }
  const { loadKubeConfig, contextNamespace } = await import('../store/kubeconfig.js');
  const { KubernetesStore } = await import('../store/kube-store.js');
  const kc = await loadKubeConfig({ kubeconfig: g.kubeconfig, context: g.context, env: io.env });
  const store = new KubernetesStore(kc, { requestTimeoutMs: g.requestTimeoutMs });
  const istiops = new Istiops(store, { onProgress, propagationWaitMs: g.propagationWaitMs, retryDeadlineMs: g.requestTimeoutMs });
  return { istiops, namespace: g.namespace ?? contextNamespace(kc) };
}

/**
 * Runs a mutating command with SIGINT/SIGTERM turned into an abort of `signal` (design rule 12): the
 * use case stops before its next write and throws InterruptedError (exit 130/143). A second signal
 * exits at once.
 */
async function withInterrupts<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(name === 'SIGTERM' ? 143 : 130);
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function printStructured(value: unknown, format: 'json' | 'yaml', io: CliIO): Promise<void> {
  if (format === 'json') io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  else io.stdout((await import('./yaml-text.js')).toYamlText(value));
}

async function printOutcome(command: string, outcome: Outcome, g: Globals, io: CliIO): Promise<void> {
  const render = await import('./render.js');
  if (g.output !== 'pretty') {
    await printStructured(render.resultDocument(command, outcome), g.output, io);
    return;
  }
  for (const w of outcome.plan.warnings) io.stderr(`${w.startsWith('warning:') ? w : `note: ${w}`}\n`);
  io.stdout(render.renderChanges(outcome.plan.changes));
  if (outcome.dryRun === 'client' && outcome.plan.writes.length > 0) {
    const { unifiedDiff } = await import('./diff.js');
    io.stdout(unifiedDiff(outcome.plan.writes));
  }
  if (outcome.dryRun === 'server' && outcome.plan.changes.length > 0) io.stdout('(server dry run: validated by the API server, nothing stored)\n');
}

/** Resolves the subset name early so that a too-long or invalid name fails before any request. */
async function checkSubsetName(host: string, build: string, namespace: string): Promise<void> {
  const { subsetNameFor } = await import('../domain/names.js');
  subsetNameFor(host, build, namespace);
}

interface ShiftFlags {
  labelSelector: string;
  destination?: string;
  hostname?: string;
  port?: string;
  build: string;
  podSelector: string;
  headers?: string[];
  regexp?: boolean;
  weight?: string;
}

async function shiftRequest(o: ShiftFlags, alias: 'headers' | 'weight' | undefined): Promise<ShiftRequest> {
  let destination;
  if (o.destination !== undefined) {
    if (o.hostname !== undefined || o.port !== undefined) throw new UsageError('--destination cannot be combined with --hostname/--port');
    destination = parseDestination(o.destination);
  } else if (o.hostname !== undefined || o.port !== undefined) {
    if (o.hostname === undefined || o.port === undefined) throw new UsageError('--hostname and --port go together');
    destination = { host: parseHost(o.hostname, '--hostname'), port: parsePort(o.port, '--port') };
  } else {
    throw new UsageError("required option '-d, --destination <host:port>' not specified");
  }
  if (o.headers !== undefined && o.weight !== undefined) throw new UsageError('--headers and --weight are mutually exclusive: give exactly one');
  if (alias === 'headers' && o.headers === undefined) throw new UsageError("traffic headers: required option '-H, --headers <k=v>' not specified");
  if (alias === 'weight' && o.weight === undefined) throw new UsageError("traffic weight: required option '-w, --weight <percent>' not specified");
  if (o.headers === undefined && o.weight === undefined) throw new UsageError('one of --headers or --weight is required');
  if (o.regexp && o.headers === undefined) throw new UsageError('--regexp applies to --headers values only');
  const podSelector = parsePodSelector(o.podSelector);
  const build = parseBuild(o.build);
  if (o.headers !== undefined) {
    const headers = parseHeaders(o.headers);
    if (o.regexp) await checkRe2(headers);
    return { destination, build, podSelector, traffic: { kind: 'headers', headers, regex: o.regexp === true } };
  }
  return { destination, build, podSelector, traffic: { kind: 'weight', percent: parseWeight(o.weight as string) } };
}

/**
 * Builds the `istiops` command tree. Global flags are accepted anywhere on the line, as with kubectl.
 */
export function buildProgram(io: CliIO): Command {
  const program = new Command('istiops')
    .description('Manage Istio traffic: header and weight shifts, rollback, clear and show, on a cluster or on YAML manifests')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(`istiops: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`) })
    .option('-n, --namespace <namespace>', 'namespace of the objects (default: the context namespace, else default)')
    .option('-o, --output <format>', 'output format: pretty, json or yaml', 'pretty')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--manifests <path>', 'work on YAML files (file or folder, repeatable) instead of a cluster', collect)
    .option('--dry-run <mode>', 'client (bare --dry-run): print the changes and a diff, write nothing; server: send writes with dryRun=All')
    .option('--request-timeout <duration>', 'timeout of each API request, e.g. 500ms, 30s, 1m', '30s')
    .option('--propagation-wait <duration>', 'wait after adding a subset before the VirtualService uses it', '3s')
    .option('--force', 'shift weight to a subset even when no pod behind it is ready');

  const globals = (cmd: Command): Globals => parseGlobals(cmd.optsWithGlobals<GlobalFlags>());
  const required = (value: string | undefined, flag: string): string => {
    if (value === undefined) throw new UsageError(`required option '${flag}' not specified`);
    return value;
  };

  program
    .command('version')
    .description('print the version')
    .action(() => io.stdout(`istiops ${VERSION}\n`));

  const traffic = program.command('traffic').description("manage Istio's traffic rules");

  traffic
    .command('show')
    .description('show the routing of the selected VirtualServices as a tree')
    .requiredOption('-l, --label-selector <selector>', 'label selector of the VirtualServices and DestinationRules')
    .action(async (o: { labelSelector: string }, cmd: Command) => {
      const g = globals(cmd);
      const labelSelector = parseLabelSelector(o.labelSelector);
      const { istiops, namespace } = await openIstiops(g, io);
      const report = await istiops.get({ namespace, labelSelector });
      if (g.output === 'pretty') {
        const { renderReport, styleFor } = await import('./render.js');
        io.stdout(renderReport(report, styleFor(io.isTTY, io.env)));
      } else {
        await printStructured(report, g.output, io);
      }
    });

  const addShift = (name: string, alias: 'headers' | 'weight' | undefined): void => {
    const cmd = traffic
      .command(name)
      .description(
        alias === undefined
          ? 'send requests matching headers (-H), or a weight (-w), to a build'
          : `alias of "shift" with --${alias} (first-version syntax: --hostname and --port)`,
      )
      .requiredOption('-l, --label-selector <selector>', 'label selector of the VirtualServices and DestinationRules')
      .option('-d, --destination <host:port>', 'Kubernetes service host and port to route to')
      .requiredOption('-b, --build <build>', 'release identifier; the subset is <service>-<build>-<namespace>')
      .requiredOption('-p, --pod-selector <labels>', "equality labels of the build's pods (k=v,k2=v2)")
      .option('-H, --headers <k=v>', 'request headers to match, k=v[,k=v] (repeatable)', collect)
      .option('-r, --regexp', 'header values are RE2 regular expressions')
      .option('-w, --weight <percent>', 'percent of the catch-all traffic, 1..100 (100 promotes)');
    if (alias !== undefined) {
      cmd.addOption(new Option('--hostname <host>', 'destination host (first-version syntax)')).addOption(new Option('--port <port>', 'destination port'));
    }
    cmd.action(async (o: ShiftFlags, c: Command) => {
      const g = globals(c);
      const labelSelector = parseLabelSelector(o.labelSelector);
      const request = await shiftRequest(o, alias);
      const { istiops, namespace } = await openIstiops(g, io);
      await checkSubsetName(request.destination.host, request.build, namespace);
      const outcome = await withInterrupts((signal) => istiops.shift({ namespace, labelSelector }, request, { dryRun: g.dryRun, force: g.force, signal }));
      await printOutcome('shift', outcome, g, io);
    });
  };
  addShift('shift', undefined);
  addShift('headers', 'headers');
  addShift('weight', 'weight');

  traffic
    .command('rollback')
    .description("remove every route, destination and mirror leading to a build, then its subset")
    .requiredOption('-l, --label-selector <selector>', 'label selector of the VirtualServices and DestinationRules')
    .option('-p, --pod-selector <labels>', "equality labels of the build's pods (its subset's labels)")
    .option('-b, --build <build>', 'release identifier (with --destination)')
    .option('-d, --destination <host:port>', 'service host and port (with --build)')
    .action(async (o: { labelSelector: string; podSelector?: string; build?: string; destination?: string }, c: Command) => {
      const g = globals(c);
      const labelSelector = parseLabelSelector(o.labelSelector);
      let request: RollbackRequest;
      if (o.podSelector !== undefined) {
        if (o.build !== undefined || o.destination !== undefined) throw new UsageError('give --pod-selector, or --build with --destination, not both');
        request = { by: 'pods', podSelector: parsePodSelector(o.podSelector) };
      } else if (o.build !== undefined || o.destination !== undefined) {
        request = { by: 'build', build: parseBuild(required(o.build, '-b, --build <build>')), destination: parseDestination(required(o.destination, '-d, --destination <host:port>')) };
      } else {
        throw new UsageError('rollback needs --pod-selector, or --build with --destination');
      }
      const { istiops, namespace } = await openIstiops(g, io);
      if (request.by === 'build') await checkSubsetName(request.destination.host, request.build, namespace);
      await printOutcome('rollback', await withInterrupts((signal) => istiops.rollback({ namespace, labelSelector }, request, { dryRun: g.dryRun, signal })), g, io);
    });

  traffic
    .command('clear')
    .description('remove routes that lead nowhere (soft) or all but the catch-all and uri prefix routes (hard), then unused subsets')
    .requiredOption('-l, --label-selector <selector>', 'label selector of the VirtualServices and DestinationRules')
    .option('-m, --mode <mode>', 'soft or hard', 'soft')
    .action(async (o: { labelSelector: string; mode: string }, c: Command) => {
      const g = globals(c);
      const labelSelector = parseLabelSelector(o.labelSelector);
      const request: ClearRequest = { mode: parseClearMode(o.mode) };
      const { istiops, namespace } = await openIstiops(g, io);
      await printOutcome('clear', await withInterrupts((signal) => istiops.clear({ namespace, labelSelector }, request, { dryRun: g.dryRun, signal })), g, io);
    });

  return program;
}

/** kubectl writes a bare `--dry-run` for the client mode; commander needs the value spelled out. */
function normalizeArgs(args: readonly string[]): string[] {
  return args.map((a) => (a === '--dry-run' ? '--dry-run=client' : a));
}

/**
 * Runs the CLI with `args` (without `node` and the script). Returns the exit code: 0 done (including
 * nothing to change), 1 runtime or API error, 2 invalid usage or input. Never throws.
 */
export async function run(args: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    if (args.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(normalizeArgs(args), { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return 0;
      return 2;
    }
    if (e instanceof IstiopsError) {
      io.stderr(`istiops: ${e.message.split('\n')[0]}\n`);
      if (io.env['ISTIOPS_DEBUG']) io.stderr(`${String(e.stack)}\n`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`istiops: internal error: ${message.split('\n')[0]}\n`);
    if (io.env['ISTIOPS_DEBUG'] && e instanceof Error) io.stderr(`${String(e.stack)}\n`);
    return 1;
  }
}
