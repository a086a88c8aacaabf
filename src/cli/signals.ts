/**
 * Listens for the first SIGINT or SIGTERM: `onSignal` gets its name, then both listeners go away, so
 * that a second signal ends the process as Node's default does.
 *
 * The listeners are removed on the next turn, not while the signal is being delivered: proper-lockfile's
 * signal-exit also listens, and re-raises the signal (ending the process) when, as it runs, it finds
 * itself the only listener left; a listener that removed itself first would let it.
 * @returns a function that removes the listeners (for when the work ends without a signal).
 */
export function onFirstSignal(onSignal: (name: 'SIGINT' | 'SIGTERM') => void): () => void {
  let done = false;
  const remove = (): void => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  };
  const handle = (name: 'SIGINT' | 'SIGTERM'): void => {
    if (done) return;
    done = true;
    setImmediate(remove);
    onSignal(name);
  };
  const onSigint = (): void => handle('SIGINT');
  const onSigterm = (): void => handle('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return remove;
}
