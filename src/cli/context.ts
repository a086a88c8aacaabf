/**
 * What every command gets: where to print, how to open the store the global flags name, and how to
 * run a mutating use case with its output printed as it happens. Heavy modules (the Kubernetes
 * client, YAML, the schema library) load only inside these functions, never at import.
 */
import type { Command } from 'commander';
import type { Istiops, Outcome, ProgressEvent, RunOptions } from '../app/istiops.js';
import type { Globals } from './options.js';

/** Where the CLI writes, and what it knows of the process; injectable for tests. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Program name in help and usage: `istiops`, or `kubectl istiops` when run as `kubectl-istiops`. Default `istiops`. */
  readonly programName?: string;
  /** Executable a completion script calls back (`istiops` or `kubectl-istiops`). Default `istiops`. */
  readonly binName?: string;
  /**
   * Starts listening for SIGINT and SIGTERM and returns a signal aborted by the first one (its
   * `reason` is `'SIGINT'` or `'SIGTERM'`). Only commands that stop cleanly on an interrupt call it;
   * the others keep Node's default (the process ends at once). Absent: no interrupt handling.
   */
  readonly interrupts?: () => AbortSignal;
  /** Working directory for relative paths in output (dry-run file diffs). Default `process.cwd()`. */
  readonly cwd?: string;
}

/** What a command module receives to build its commander {@link Command}. */
export interface CliContext {
  readonly io: CliIO;
}

/**
 * One command of the command table: its parent (`traffic` for `istiops traffic <name>`, or null for a
 * top-level command) and a function that builds it with the shared options of `options.ts`.
 */
export interface CommandModule {
  readonly parent: 'traffic' | null;
  readonly create: (ctx: CliContext) => Command;
}

/**
 * Opens the store the flags name (`--manifests` files, else the kubeconfig's cluster) and resolves the
 * namespace (`-n`, else the context's, else `default`). `onProgress` receives the use case's events.
 */
export async function openIstiops(g: Globals, io: CliIO, onProgress: (e: ProgressEvent) => void): Promise<{ istiops: Istiops; namespace: string }> {
  const { Istiops } = await import('../app/istiops.js');
  if (g.manifests.length > 0) {
    // Files are local and locked one at a time: concurrent writes would only queue on the locks.
    const { ManifestStore } = await import('../store/manifest-store.js');
    return { istiops: new Istiops(new ManifestStore({ paths: g.manifests }), { onProgress, concurrency: 1 }), namespace: g.namespace ?? 'default' };
  }
  const { loadKubeConfig, contextNamespace } = await import('../store/kubeconfig.js');
  const { KubernetesStore } = await import('../store/kube-store.js');
  const kc = await loadKubeConfig({ kubeconfig: g.kubeconfig, context: g.context, env: io.env });
  const store = new KubernetesStore(kc, { requestTimeoutMs: g.requestTimeoutMs });
  const istiops = new Istiops(store, { onProgress, propagationWaitMs: g.propagationWaitMs, retryDeadlineMs: g.requestTimeoutMs, concurrency: g.concurrency });
  return { istiops, namespace: g.namespace ?? contextNamespace(kc) };
}

/**
 * Runs a mutating use case (`act`) and prints as it goes: each object's change lines when it is
 * written, retries and waits on stderr when they happen, then the grouped notes and warnings, the
 * dry-run diff, or the `-o json|yaml|name` document. `act` receives the run options of the global
 * flags (dry run, force) and the interrupt signal.
 */
export async function runMutation(
  command: string,
  g: Globals,
  io: CliIO,
  act: (istiops: Istiops, namespace: string, run: RunOptions) => Promise<Outcome>,
): Promise<void> {
  const { OutcomePrinter } = await import('./output.js');
  const printer = new OutcomePrinter(command, g, io);
  const { istiops, namespace } = await openIstiops(g, io, (e) => printer.progress(e));
  // Interrupted (design rule 12): stop before the next write, say what was written, exit 130/143.
  const signal = g.dryRun === 'client' ? undefined : io.interrupts?.();
  try {
    const outcome = await act(istiops, namespace, { dryRun: g.dryRun, force: g.force, ...(signal !== undefined ? { signal } : {}) });
    await printer.finish(outcome, istiops.store);
  } finally {
    await istiops.store.close?.();
  }
}

/**
 * Ends a command with an exit code after it has printed its own account (a canary that rolled back
 * exits 1, an interrupted one 130 or 143): the error boundary prints nothing more.
 */
export class ExitCode extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

/** Prints a value as JSON or YAML on stdout. */
export async function printStructured(value: unknown, format: 'json' | 'yaml', io: CliIO): Promise<void> {
  if (format === 'json') io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  else io.stdout((await import('./yaml-text.js')).toYamlText(value));
}

/** Retries and propagation waits on stderr, for commands that print their own results (canary). */
export function progressToStderr(io: CliIO): (e: ProgressEvent) => void {
  return (e) => {
    if (e.kind === 'retry') io.stderr(`retrying in ${e.delayMs}ms (attempt ${e.attempt + 1}): ${e.reason}\n`);
    if (e.kind === 'propagation-wait') io.stderr(`waiting ${e.delayMs / 1000}s for Istio to push the new subset to the proxies (--propagation-wait)\n`);
  };
}
