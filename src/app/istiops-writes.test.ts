/**
 * The write loop of the use case (design rules 3 and 12) over a scripted store: the propagation wait
 * decided by the first read, lost answers, interruptions.
 */
import { describe, expect, it } from 'vitest';
import { AuthError, InterruptedError, OutcomeUnknownError, PartialWriteError } from '../errors.js';
import { describeObject, type IstioObject } from '../domain/istio.js';
import type { ShiftRequest } from '../domain/requests.js';
import type { RoutingState } from '../domain/state.js';
import { destinationRule, state, virtualService } from '../domain/testing.js';
import type { ReadQuery, RouteStore, WriteOptions } from '../store/route-store.js';
import { Istiops, type ProgressEvent } from './istiops.js';

type Fault = 'lost' | 'forbidden' | undefined;

/** A cluster-like store holding one VirtualService and one DestinationRule; writes follow `faults` in order. */
class ScriptedStore implements RouteStore {
  readonly kind = 'kubernetes' as const;
  readonly objects = new Map<string, IstioObject>();
  readonly faults: Fault[];
  constructor(objects: IstioObject[], faults: Fault[] = []) {
    for (const o of objects) this.objects.set(o.kind, o);
    this.faults = faults;
  }
  read(_q: ReadQuery): Promise<RoutingState> {
    const get = <T>(kind: string): T => structuredClone(this.objects.get(kind)) as T;
    return Promise.resolve(state({ virtualServices: [get('VirtualService')], destinationRules: [get('DestinationRule')], readiness: 'none' }));
  }
  write(object: IstioObject, _o: WriteOptions): Promise<IstioObject> {
    const fault = this.faults.shift();
    if (fault === 'forbidden') return Promise.reject(new AuthError(`update ${describeObject(object)}: Forbidden`));
    this.objects.set(object.kind, structuredClone(object));
    if (fault === 'lost') return Promise.reject(new OutcomeUnknownError('answer lost', { object: describeObject(object) }));
    return Promise.resolve(object);
  }
}

const headers = (build: string): ShiftRequest => ({
  destination: { host: 'api-domain', port: 5000 },
  build,
  podSelector: { app: 'api-domain', build },
  traffic: { kind: 'headers', headers: { 'x-b': build }, regex: false },
});
const selection = { namespace: 'default', labelSelector: 'app=api-domain' };

function run(store: RouteStore, options: { sleep?: (ms: number) => Promise<void> } = {}): { istiops: Istiops; events: string[] } {
  const events: string[] = [];
  const onProgress = (e: ProgressEvent): void => {
    events.push(e.kind === 'written' ? `written ${e.object}` : e.kind === 'propagation-wait' ? `wait ${e.delayMs}` : 'retry');
  };
  const istiops = new Istiops(store, { propagationWaitMs: 3000, validate: false, onProgress, sleep: options.sleep ?? (() => Promise.resolve()), random: () => 0.5 });
  return { istiops, events };
}

describe('the propagation wait (design rule 3)', () => {
  it('waits after the DestinationRule gains the subset, before the VirtualService uses it', async () => {
    const { istiops, events } = run(new ScriptedStore([virtualService(), destinationRule()]));
    await istiops.shift(selection, headers('2'));
    expect(events).toEqual(['written DestinationRule default/api-domain', 'wait 3000', 'written VirtualService default/api-domain']);
  });

  it('does not wait when the subset was in the DestinationRule at the first read', async () => {
    const { istiops, events } = run(new ScriptedStore([virtualService(), destinationRule({ subsets: ['1', '2'] })]));
    await istiops.shift(selection, headers('2'));
    expect(events).toEqual(['written VirtualService default/api-domain']);
  });

  it('still waits when a retry finds the subset already written (the answer to its write was lost)', async () => {
    const store = new ScriptedStore([virtualService(), destinationRule()], ['lost']);
    const { istiops, events } = run(store);
    const outcome = await istiops.shift(selection, headers('2'));
    expect(events).toEqual(['retry', 'wait 3000', 'written VirtualService default/api-domain']);
    expect(outcome.attempts).toBe(2);
  });

  it('waits once when the VirtualService write is retried after the wait', async () => {
    const store = new ScriptedStore([virtualService(), destinationRule()], [undefined, 'lost']);
    const { istiops, events } = run(store);
    await istiops.shift(selection, headers('2'));
    expect(events.filter((e) => e.startsWith('wait'))).toEqual(['wait 3000']);
  });
});

describe('unknown outcomes', () => {
  it('names a write whose answer was lost as "outcome unknown", never "not written"', async () => {
    const store = new ScriptedStore([virtualService(), destinationRule()], ['lost', 'forbidden', 'forbidden']);
    const { istiops } = run(store);
    const error = await istiops.shift(selection, headers('2')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialWriteError);
    const partial = error as PartialWriteError;
    expect(partial.unknown).toEqual(['DestinationRule default/api-domain']);
    expect(partial.notWritten).toEqual(['VirtualService default/api-domain']);
    expect(partial.written).toEqual([]);
    expect(partial.message).toContain('outcome unknown: DestinationRule default/api-domain; not written: VirtualService default/api-domain');
  });
});

describe('interruption (design rule 12)', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s during the wait stops before the VirtualService write and exits %i', async (signal, exitCode) => {
    const controller = new AbortController();
    const store = new ScriptedStore([virtualService(), destinationRule()]);
    const { istiops, events } = run(store, {
      sleep: () => {
        controller.abort(signal);
        return new Promise(() => undefined); // the abort must end the wait on its own
      },
    });
    const error = await istiops.shift(selection, headers('2'), { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    const interrupted = error as InterruptedError;
    expect(interrupted.exitCode).toBe(exitCode);
    expect(interrupted.written).toEqual(['DestinationRule default/api-domain']);
    expect(interrupted.notWritten).toEqual(['VirtualService default/api-domain']);
    expect(interrupted.message).toBe(
      `interrupted by ${signal} before writing VirtualService default/api-domain; written: DestinationRule default/api-domain; not written: VirtualService default/api-domain. No route points at a missing subset; run the command again to finish.`,
    );
    expect(events).toEqual(['written DestinationRule default/api-domain', 'wait 3000']);
  });

  it('an interruption before anything was written writes nothing', async () => {
    const controller = new AbortController();
    controller.abort('SIGINT');
    const store = new ScriptedStore([virtualService(), destinationRule()]);
    const { istiops, events } = run(store);
    await expect(istiops.shift(selection, headers('2'), { signal: controller.signal })).rejects.toThrow(/^interrupted by SIGINT before any write; nothing was written$/);
    expect(events).toEqual([]);
  });
});
