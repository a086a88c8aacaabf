/**
 * Printing the outcome of a mutating command, in the order things happen: an object's change lines
 * when it is written (stdout), retries and waits when they happen (stderr), then the notes grouped
 * (stderr), then the dry-run diff; or one document for `-o json|yaml`, or kubectl's `-o name` lines.
 */
import type { Outcome, ProgressEvent } from '../app/istiops.js';
import type { Change, PlannedWrite } from '../domain/changes.js';
import { describeObject } from '../domain/istio.js';
import type { RouteStore } from '../store/route-store.js';
import type { CliIO } from './context.js';
import type { Globals } from './options.js';
import { renderChanges, resultDocument } from './render.js';

/** kubectl's resource name of a kind: `virtualservice.networking.istio.io`. */
export function resourceOf(kind: string): string {
  return `${kind.toLowerCase()}.networking.istio.io`;
}

/** kubectl's `-o name` line of `Kind namespace/name`: `virtualservice.networking.istio.io/reviews`. */
export function nameLine(object: string): string {
  const [kind = '', ref = ''] = object.split(' ');
  return `${resourceOf(kind)}/${ref.slice(ref.indexOf('/') + 1)}`;
}

const SKIPPED = /^skipped (VirtualService|DestinationRule) (\S+): (.+)$/;

/**
 * The plan's notes as printed: `skipped <Kind> <ns/name>: <why>` notes of one kind become one line
 * (objects grouped by reason, at the place of the first), the others are kept in order. A note that
 * is a warning keeps its `warning:` prefix; the others get `note:`.
 */
export function groupNotes(warnings: readonly string[]): string[] {
  const lines: (string | { kind: string; byReason: Map<string, string[]> })[] = [];
  const groups = new Map<string, { kind: string; byReason: Map<string, string[]> }>();
  for (const w of warnings) {
    const m = SKIPPED.exec(w);
    if (!m) {
      lines.push(w.startsWith('warning:') ? w : `note: ${w}`);
      continue;
    }
    const [, kind = '', object = '', reason = ''] = m;
    let group = groups.get(kind);
    if (!group) {
      group = { kind, byReason: new Map() };
      groups.set(kind, group);
      lines.push(group);
    }
    group.byReason.set(reason, [...(group.byReason.get(reason) ?? []), object]);
  }
  return lines.map((line) => {
    if (typeof line === 'string') return line;
    const count = [...line.byReason.values()].reduce((n, objects) => n + objects.length, 0);
    const parts = [...line.byReason].map(([reason, objects]) => `${objects.join(', ')} (${reason})`);
    return `note: skipped ${count === 1 ? line.kind : `${count} ${line.kind}s`} ${parts.join('; ')}`;
  });
}

/** The dry-run diff: of the files as they would be written when the store has files, else of the objects. */
async function dryRunDiff(store: RouteStore, writes: readonly PlannedWrite[], cwd: string): Promise<string> {
  const diff = await import('./diff.js');
  // Manifest mode: the unified diff of each file as it would be written, applicable with `patch -p0`.
  if (store.previewFiles !== undefined) return diff.renderFileDiff(await store.previewFiles(writes.map((w) => w.after)), cwd);
  return diff.unifiedDiff(writes);
}

/** Prints one mutating command's progress and outcome (see the module comment for the order). */
export class OutcomePrinter {
  private readonly command: string;
  private readonly g: Globals;
  private readonly io: CliIO;
  /** Objects (`Kind namespace/name`) whose change lines are already printed. */
  private readonly printed = new Set<string>();

  constructor(command: string, g: Globals, io: CliIO) {
    this.command = command;
    this.g = g;
    this.io = io;
  }

  /** Receives the use case's progress events as they happen. */
  progress(e: ProgressEvent): void {
    switch (e.kind) {
      case 'retry':
        this.io.stderr(`retrying in ${e.delayMs}ms (attempt ${e.attempt + 1}): ${e.reason}\n`);
        break;
      case 'propagation-wait':
        this.io.stderr(`waiting ${e.delayMs / 1000}s for Istio to push the new subset to the proxies (--propagation-wait)\n`);
        break;
      case 'written':
        if (this.g.output === 'pretty' && e.changes.length > 0 && !this.printed.has(e.object)) {
          this.printed.add(e.object);
          this.io.stdout(renderChanges(e.changes));
        }
        break;
      case 'note':
        this.io.stderr(`note: ${e.text}\n`);
        break;
      default:
        break;
    }
  }

  /** Prints what is left once the use case returned. */
  async finish(outcome: Outcome, store: RouteStore): Promise<void> {
    const { plan } = outcome;
    switch (this.g.output) {
      case 'json':
        this.io.stdout(`${JSON.stringify(resultDocument(this.command, outcome), null, 2)}\n`);
        return;
      case 'yaml':
        this.io.stdout((await import('./yaml-text.js')).toYamlText(resultDocument(this.command, outcome)));
        return;
      case 'name': {
        const objects = outcome.dryRun === 'client' ? plan.writes.map((w) => describeObject(w.after)) : outcome.written;
        for (const o of objects) this.io.stdout(`${nameLine(o)}\n`);
        return;
      }
      default:
        break;
    }
    const left: Change[] = plan.changes.filter((c) => !this.printed.has(`${c.kind} ${c.namespace}/${c.name}`));
    if (plan.changes.length === 0) this.io.stdout(renderChanges([]));
    else if (left.length > 0) this.io.stdout(renderChanges(left));
    for (const line of groupNotes(plan.warnings)) this.io.stderr(`${line}\n`);
    if (outcome.dryRun === 'client' && plan.writes.length > 0) this.io.stdout(await dryRunDiff(store, plan.writes, this.io.cwd ?? process.cwd()));
    if (outcome.dryRun === 'server' && plan.changes.length > 0) this.io.stdout('(server dry run: validated by the API server, nothing stored)\n');
  }
}
