import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { onFirstSignal } from './signals.js';

const baseline = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
const removers: (() => void)[] = [];
afterEach(() => removers.splice(0).forEach((remove) => remove()));

describe('onFirstSignal', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('hands the first %s to the callback, once', (name) => {
    const seen: string[] = [];
    removers.push(onFirstSignal((n) => seen.push(n)));
    process.emit(name);
    process.emit(name);
    process.emit(name === 'SIGINT' ? 'SIGTERM' : 'SIGINT');
    expect(seen).toEqual([name]);
  });

  it('stays listening while the signal is delivered, so that signal-exit does not re-raise it', () => {
    removers.push(onFirstSignal(() => undefined));
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
  });

  it('removes both listeners on the next turn, so that a second signal gets the default', async () => {
    onFirstSignal(() => undefined);
    process.emit('SIGTERM');
    await nextTurn();
    expect(process.listenerCount('SIGINT')).toBe(baseline.SIGINT);
    expect(process.listenerCount('SIGTERM')).toBe(baseline.SIGTERM);
  });

  it('returns the removal, for work that ends without a signal', () => {
    const seen: string[] = [];
    const remove = onFirstSignal((n) => seen.push(n));
    expect(process.listenerCount('SIGINT')).toBe(baseline.SIGINT + 1);
    remove();
    expect(process.listenerCount('SIGINT')).toBe(baseline.SIGINT);
    expect(process.listenerCount('SIGTERM')).toBe(baseline.SIGTERM);
    expect(seen).toEqual([]);
  });
});
