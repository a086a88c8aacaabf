/**
 * `show --watch`: prints the routing again after every change until interrupted. On a TTY (`-o
 * pretty`) the screen is cleared and the tree redrawn; otherwise one document per change: trees
 * separated by a blank line, JSON documents one after the other, YAML documents separated by `---`
 * (as `kubectl get -w -o yaml` prints them). A report equal to the last one printed is not printed
 * again (a reconnect lists everything again without changing anything).
 */
import type { TrafficReport } from '../domain/show.js';
import type { OutputFormat } from '../input/flags.js';
import type { CliIO } from './context.js';
import { renderReport, styleFor } from './render.js';

/** How {@link followReports} prints. */
export interface FollowOptions {
  readonly format: OutputFormat;
  readonly io: CliIO;
  /** Aborted by SIGINT or SIGTERM: the watch ends and the command exits 0. */
  readonly signal: AbortSignal;
  /** Clock for the TTY footer; injected for tests. */
  readonly now?: () => Date;
}

/** The ANSI sequence that moves the cursor home and clears the screen. */
export const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/**
 * Runs `watch` (e.g. `Istiops.watch` bound to a selection) and prints each report it delivers, until
 * `options.signal` aborts and `watch` resolves.
 */
export async function followReports(
  watch: (onReport: (report: TrafficReport) => void, signal: AbortSignal) => Promise<void>,
  options: FollowOptions,
): Promise<void> {
  const { format, io, signal } = options;
  const toYaml = format === 'yaml' ? (await import('./yaml-text.js')).toYamlText : undefined;
  const style = styleFor(io.isTTY, io.env);
  if (signal.aborted) return;
  let last: string | undefined;
  let printed = 0;
  await watch((report) => {
    const key = JSON.stringify(report);
    if (key === last) return;
    last = key;
    if (format === 'json') {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else if (toYaml) {
      io.stdout(`${printed > 0 ? '---\n' : ''}${toYaml(report)}`);
    } else if (io.isTTY) {
      const time = (options.now ?? (() => new Date()))().toTimeString().slice(0, 8);
      io.stdout(`${CLEAR_SCREEN}${renderReport(report, style)}\n${style.dim(`watching namespace ${report.namespace}, updated ${time} (Ctrl-C to stop)`)}\n`);
    } else {
      io.stdout(`${printed > 0 ? '\n' : ''}${renderReport(report, style)}`);
    }
    printed++;
  }, signal);
}
