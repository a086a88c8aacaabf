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

/** A cluster-like store of many VirtualService/DestinationRule pairs that records how many writes were in flight at once. */
class FleetStore implements RouteStore {
  readonly kind = 'kubernetes' as const;
  readonly objects: IstioObject[];
  readonly log: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(pairs: number) {
    this.objects = [];
    for (let i = 0; i < pairs; i++) {
      const host = `svc-${i}`;
      const subset = `${host}-1-default`;
      this.objects.push(
        virtualService({ name: host, hosts: [host], labels: { fleet: 'yes' }, http: [{ route: [{ destination: { host, subset } }] }] }),
        destinationRule({ name: host, host, labels: { fleet: 'yes' }, subsets: [{ name: subset, labels: { app: host, build: '1' } }] }),
      );
    }
  }
  read(_q: ReadQuery): Promise<RoutingState> {
    const copy = structuredClone(this.objects);
    const vss = copy.filter((o) => o.kind === 'VirtualService');
    return Promise.resolve(state({ virtualServices: vss, destinationRules: copy.filter((o) => o.kind === 'DestinationRule'), readiness: 'none', otherVirtualServices: [] }));
  }
  async write(object: IstioObject, _o: WriteOptions): Promise<IstioObject> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.log.push(object.kind);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
    return object;
  }
}

describe('writing many objects (bounded concurrency, issue 10)', () => {
  const fleet = { namespace: 'default', labelSelector: 'fleet=yes' };

  it.each([1, 3, 8])('keeps at most %i writes in flight, and uses them', async (concurrency) => {
    const store = new FleetStore(20);
    const istiops = new Istiops(store, { concurrency, validate: false, sleep: () => Promise.resolve() });
    // A fault on every general route of the fleet: 20 VirtualServices in one phase.
    const outcome = await istiops.fault(fleet, { delay: { fixedDelayMs: 100, percentage: 1 } });
    expect(outcome.written).toHaveLength(20);
    expect(store.maxInFlight).toBe(concurrency);
  });

  it('writes the VirtualServices before the DestinationRules that lose subsets (break after make)', async () => {
    const store = new FleetStore(12);
    for (const o of store.objects) {
      const host = o.metadata.name;
      if (o.kind === 'VirtualService') o.spec.http?.unshift({ name: `${host}-2-default`, match: [{ headers: { 'x-b': { exact: '2' } } }], route: [{ destination: { host, subset: `${host}-2-default` } }] });
      else o.spec.subsets?.push({ name: `${host}-2-default`, labels: { app: host, build: '2' } });
    }
    const istiops = new Istiops(store, { concurrency: 4, validate: false, sleep: () => Promise.resolve() });
    const outcome = await istiops.clear(fleet, { mode: 'hard' });
    expect(outcome.written).toHaveLength(24);
    expect(store.log.lastIndexOf('VirtualService')).toBeLessThan(store.log.indexOf('DestinationRule'));
  });

  it('adds subsets in every DestinationRule first, then waits once, then writes the VirtualServices', async () => {
    const store = new FleetStore(1);
    const events: string[] = [];
    const istiops = new Istiops(store, { concurrency: 8, propagationWaitMs: 3000, validate: false, sleep: () => Promise.resolve(), onProgress: (e) => e.kind !== 'retry' && events.push(e.kind) });
    await istiops.shift(fleet, { destination: { host: 'svc-0', port: 80 }, build: '2', podSelector: { app: 'svc-0', build: '2' }, traffic: { kind: 'headers', headers: { 'x-b': '2' }, regex: false } });
    expect(events).toEqual(['written', 'propagation-wait', 'written']);
  });
});
