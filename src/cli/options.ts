/**
 * The option definitions every command shares: the global flags (kubectl's), and the traffic flags
 * (`-l`, `-d`, `-b`, `-p`, `-H`, `-r`, `-w`, `-m`), each declared once here. A scalar flag given twice
 * is a usage error naming it (kubectl would silently take the last value; a pipeline that builds its
 * command line by appending is more likely wrong than right).
 *
 * Pure definitions and parsers: nothing heavy is imported here, so `istiops version` stays fast.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseLabelSelector, type LabelSelector } from '../domain/label-selector.js';
import { parseDryRun, parseDuration, parseNamespace, parseOutput, type DryRunMode, type OutputFormat } from '../input/flags.js';

/** How a flag's value completes in a shell (read by `completion.ts`). */
export type ValueCompletion =
  | { readonly kind: 'words'; readonly words: readonly string[] }
  | { readonly kind: 'files' }
  | { readonly kind: 'contexts' }
  | { readonly kind: 'namespaces' }
  | { readonly kind: 'none' };

const completions = new WeakMap<Option, ValueCompletion>();

/** The shell completion of an option's value; `none` (free text) unless declared. */
export function completionOf(option: Option): ValueCompletion {
  return completions.get(option) ?? (option.argChoices ? { kind: 'words', words: option.argChoices } : { kind: 'none' });
}

function completing(option: Option, how: ValueCompletion): Option {
  completions.set(option, how);
  return option;
}

/**
 * Parser for a scalar flag: the value as given, or a {@link UsageError} naming the flag when it was
 * already given on the line (commander passes the previous value; scalar options have no default).
 */
export function once(flags: string) {
  return (value: string, previous: string | undefined): string => {
    if (previous !== undefined) throw new UsageError(`${flags} is given more than once ("${previous}", then "${value}"): give it once`);
    return value;
  };
}

/** Parser for a repeatable flag: collects every value in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** A scalar option `flags` (e.g. `-w, --weight <percent>`) that may be given at most once. */
export function scalar(flags: string, description: string): Option {
  const long = /--[\w-]+/.exec(flags)?.[0] ?? flags;
  const short = /^-\w\b/.exec(flags)?.[0];
  return new Option(flags, description).argParser(once(short ? `${short}, ${long}` : long));
}

/** Output formats; `show` adds `mermaid` (see {@link outputFormatsOf}). */
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['pretty', 'json', 'yaml', 'name'];

const extraFormats = new WeakMap<Command, readonly OutputFormat[]>();

/** Declares that `cmd` also accepts these `-o` formats (validation and completion read it). */
export function acceptOutputFormats(cmd: Command, formats: readonly OutputFormat[]): Command {
  extraFormats.set(cmd, formats);
  return cmd;
}

/** The `-o` formats `cmd` accepts. */
export function outputFormatsOf(cmd: Command): readonly OutputFormat[] {
  return [...OUTPUT_FORMATS, ...(extraFormats.get(cmd) ?? [])];
}

/** Raw global flags as commander collects them. */
export interface GlobalFlags {
  namespace?: string;
  output?: string;
  kubeconfig?: string;
  context?: string;
  manifests?: string[];
  dryRun?: string;
  requestTimeout?: string;
  propagationWait?: string;
  concurrency?: string;
  force?: boolean;
}

/** Global flags after validation. */
export interface Globals {
  /** `-n`; undefined: the kubeconfig context's namespace, else `default`. */
  readonly namespace: string | undefined;
  readonly output: OutputFormat;
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  /** `--manifests` paths; empty: work on a cluster. */
  readonly manifests: readonly string[];
  readonly dryRun: DryRunMode;
  /** Milliseconds; 0 means no timeout. */
  readonly requestTimeoutMs: number;
  /** Milliseconds. */
  readonly propagationWaitMs: number;
  /** Writes sent at once within one make-before-break phase, 1..64. */
  readonly concurrency: number;
  readonly force: boolean;
}

/**
 * The global flags, accepted anywhere on the line as with kubectl. Every command's help lists them
 * (commander's "Global Options").
 */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(completing(scalar('-n, --namespace <namespace>', 'namespace of the objects (default: the context namespace, else default)'), { kind: 'namespaces' }))
    .addOption(completing(scalar('-o, --output <format>', 'output format: pretty (default), json, yaml, name; show also mermaid'), { kind: 'words', words: OUTPUT_FORMATS }))
    .addOption(completing(scalar('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)'), { kind: 'files' }))
    .addOption(completing(scalar('--context <name>', 'kubeconfig context to use'), { kind: 'contexts' }))
    .addOption(completing(new Option('--manifests <path>', 'work on YAML files (file or folder, repeatable) instead of a cluster').argParser(collect), { kind: 'files' }))
    .addOption(
      completing(scalar('--dry-run <mode>', 'client (a bare --dry-run): print the changes and a diff, write nothing; server: send writes with dryRun=All'), {
        kind: 'words',
        words: ['client', 'server'],
      }),
    )
    .addOption(scalar('--request-timeout <duration>', 'timeout of each API request, e.g. 500ms, 30s, 1m; 0: none (default: 30s)'))
    .addOption(scalar('--propagation-wait <duration>', 'wait after adding a subset before the VirtualService uses it (default: 3s)'))
    .addOption(scalar('--concurrency <n>', 'writes sent at once when many objects change, 1..64 (default: 8)'))
    .option('--force', 'shift weight to a subset with no ready pod; roll back a build that carries most of a route');
}

/** Validates the global flags of `cmd` (the `-o` formats it accepts included). */
export function globalsOf(cmd: Command): Globals {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  const manifests = flags.manifests ?? [];
  if (manifests.length > 0 && (flags.kubeconfig !== undefined || flags.context !== undefined)) {
    throw new UsageError('--manifests works on files: it cannot be combined with --kubeconfig or --context');
  }
  const dryRun = flags.dryRun === undefined ? 'none' : parseDryRun(flags.dryRun);
  if (dryRun === 'server' && manifests.length > 0) throw new UsageError('--dry-run=server needs an API server; with --manifests use --dry-run');
  return {
    namespace: flags.namespace === undefined ? undefined : parseNamespace(flags.namespace),
    output: parseOutput(flags.output ?? 'pretty', '--output', outputFormatsOf(cmd)),
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    manifests,
    dryRun,
    requestTimeoutMs: parseDuration(flags.requestTimeout ?? '30s', '--request-timeout'),
    propagationWaitMs: parseDuration(flags.propagationWait ?? '3s', '--propagation-wait'),
    concurrency: parseConcurrency(flags.concurrency ?? '8'),
    force: flags.force === true,
  };
}

/** `--concurrency`: an integer 1..64. @throws UsageError naming the flag. */
export function parseConcurrency(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 64) throw new UsageError(`--concurrency "${text}": must be an integer from 1 to 64`);
  return Number(text);
}

/* ---- traffic flags, one definition each ---- */

/** `-l, --label-selector`: optional; without it every object of the namespace is a candidate. */
export const labelSelectorOption = (): Option => scalar('-l, --label-selector <selector>', 'label selector of the VirtualServices and DestinationRules (default: all of the namespace)');
/** `-d, --destination host:port`. */
export const destinationOption = (): Option => scalar('-d, --destination <host:port>', 'Kubernetes service host and port to route to, e.g. reviews:9080');
/** `-b, --build`. */
export const buildOption = (description = 'release identifier; the subset is <service>-<build>-<namespace>'): Option => scalar('-b, --build <build>', description);
/** `-p, --pod-selector`. */
export const podSelectorOption = (description = "equality labels of the build's pods, k=v[,k=v]; they become the subset's labels"): Option =>
  scalar('-p, --pod-selector <labels>', description);
/** `-H, --headers` (repeatable). */
export const headersOption = (): Option => new Option('-H, --headers <k=v>', 'request headers to match, k=v[,k=v] (repeatable; all must match)').argParser(collect);
/** `-r, --regexp`. */
export const regexpOption = (): Option => new Option('-r, --regexp', 'header values are RE2 regular expressions');
/** `-w, --weight`. */
export const weightOption = (): Option => scalar('-w, --weight <percent>', 'percent of the traffic of the general routes, 1..100 (100 promotes)');
/** `-m, --mode`. */
export const clearModeOption = (): Option => completing(scalar('-m, --mode <mode>', 'soft (default) or hard'), { kind: 'words', words: ['soft', 'hard'] });
/** `--all`: select every object of the namespace where a command otherwise needs `-l`. */
export const allOption = (): Option => new Option('--all', 'select every VirtualService and DestinationRule of the namespace (instead of -l)');

/** The parsed `-l` selector; no `-l` selects everything (an empty selector). */
export function selectorOf(text: string | undefined): LabelSelector {
  return text === undefined ? [] : parseLabelSelector(text);
}

/**
 * A command's examples for its help, under an `Examples:` heading. `$0` stands for the program name
 * as it was invoked (`istiops`, or `kubectl istiops` for the kubectl plugin).
 */
export function withExamples(cmd: Command, examples: readonly [comment: string, line: string][]): Command {
  return cmd.addHelpText('after', () => {
    let root = cmd;
    while (root.parent) root = root.parent;
    const name = root.name();
    return `\nExamples:\n${examples.map(([comment, line]) => `  # ${comment}\n  ${line.replaceAll('$0', name)}\n`).join('\n')}`;
  });
}
