/**
 * An AbortSignal aborted by the first SIGINT or SIGTERM, with the signal's name as its reason; after
 * it, the listeners go, so that a second signal ends the process as Node's default does. This is the
 * CLI's `interrupts` (see `CliIO`), shared by writes, `show --watch` and `canary`.
 *
 * The listeners are removed on the next turn, not while the signal is being delivered: proper-lockfile's
 * signal-exit also listens, and re-raises the signal (ending the process) when, as it runs, it finds
 * itself the only listener left; a listener that removed itself first would let it.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const remove = (): void => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  };
  const handle = (name: 'SIGINT' | 'SIGTERM'): void => {
    if (controller.signal.aborted) return;
    setImmediate(remove);
    controller.abort(name);
  };
  const onSigint = (): void => handle('SIGINT');
  const onSigterm = (): void => handle('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return controller.signal;
}
