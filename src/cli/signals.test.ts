import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { interruptSignal } from './signals.js';

const baseline = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };

describe('interruptSignal', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('is aborted by the first %s, with its name as the reason, once', async (name) => {
    const signal = interruptSignal();
    const reasons: unknown[] = [];
    signal.addEventListener('abort', () => reasons.push(signal.reason));
    expect(signal.aborted).toBe(false);
    process.emit(name);
    process.emit(name);
    process.emit(name === 'SIGINT' ? 'SIGTERM' : 'SIGINT');
    expect(reasons).toEqual([name]);
    await nextTurn();
  });

  it('stays listening while the signal is delivered, so that signal-exit does not re-raise it', async () => {
    interruptSignal();
    // signal-exit, registered later, counts the listeners when its turn comes.
    let countedBySignalExit = -1;
    const signalExit = (): void => {
      countedBySignalExit = process.listenerCount('SIGINT');
    };
    process.on('SIGINT', signalExit);
    try {
      process.emit('SIGINT');
    } finally {
      process.off('SIGINT', signalExit);
    }
    expect(countedBySignalExit).toBe(baseline.SIGINT + 2);
    await nextTurn();
  });

  it('removes both listeners on the next turn, so that a second signal gets the default', async () => {
    interruptSignal();
    expect(process.listenerCount('SIGINT')).toBe(baseline.SIGINT + 1);
    expect(process.listenerCount('SIGTERM')).toBe(baseline.SIGTERM + 1);
    process.emit('SIGTERM');
    await nextTurn();
    expect(process.listenerCount('SIGINT')).toBe(baseline.SIGINT);
    expect(process.listenerCount('SIGTERM')).toBe(baseline.SIGTERM);
  });
});
