/**
 * The planners' central properties over random sequences of commands (issue 6, "How it will be
 * judged"): shift by headers and by weight, rollback with and without force, soft and hard clear, on
 * VirtualServices with several hosts, path routes, targeted routes and hand-written splits, with a
 * gateway VirtualService in istio-system as a subset user. After every step that plans:
 * - no route in any namespace points at a missing subset (checked after each write, make-before-break);
 * - every multi-destination route of a written VirtualService has integer weights summing to 100;
 * - no unreachable route carries a managed destination;
 * - the ratio between two destinations that both stay in a route changes only when one of them is
 *   the build the command names (within the rounding of integer weights);
 * - the written objects pass the schema, and the same command again plans nothing.
 * Refused plans (PlanRefusedError, NotFoundError) are steps that change nothing.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/random.js';
import { validateSchema } from '../app/validate.js';
import { NotFoundError, PlanRefusedError } from '../errors.js';
import type { Plan } from './changes.js';
import type { HTTPRoute, HTTPRouteDestination, VirtualService } from './istio.js';
import { isManagedSubsetName, resolveHost, serviceNameOf, serviceOfHost, subsetNameFor } from './names.js';
import { planClear } from './plan-clear.js';
import { planRollback } from './plan-rollback.js';
import { planShift } from './plan-shift.js';
import type { ClearMode, RollbackRequest, ShiftRequest } from './requests.js';
import { classifyVirtualService, effectiveWeight } from './route-model.js';
import type { RoutingState, Workload } from './state.js';
import {
  applyWrite,
  bookinfo,
  bookinfoGateway,
  bookinfoWorkloads,
  catchAll,
  deepFreeze,
  dest,
  destination,
  destinationRule,
  headerRoute,
  missingSubsets,
  sampleDestinationRule,
  sampleVirtualService,
  service,
  state,
  subsetOf,
  to,
  virtualService,
  workload,
} from './testing.js';

type Step =
  | { readonly text: string; readonly kind: 'shift'; readonly req: ShiftRequest }
  | { readonly text: string; readonly kind: 'rollback'; readonly req: RollbackRequest; readonly force: boolean }
  | { readonly text: string; readonly kind: 'clear'; readonly mode: ClearMode };

/** A service the steps aim at: its host as the user writes it, its port and the labels of its builds' pods. */
interface Target {
  readonly host: string;
  readonly port: number;
  readonly app: string;
}

interface World {
  readonly name: string;
  readonly start: () => RoutingState;
  readonly targets: readonly Target[];
  /** Pod selectors of hand-written subsets, for `rollback -p`. */
  readonly handWritten: readonly Record<string, string>[];
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

function randomStep(next: () => number, world: World): Step {
  const t = pick(next, world.targets);
  const build = pick(next, ['2', '3', '4']);
  const podSelector = { app: t.app, build };
  const roll = next();
  if (roll < 0.25) {
    const headers = pick(next, [{ 'x-cid': 'a' }, { 'x-cid': 'b' }, { 'x-cid': 'a', 'x-account-id': '3' }, { 'x-team': 'qa' }]);
    const regex = next() < 0.3;
    return { text: `shift -d ${t.host} -b ${build} -H ${JSON.stringify(headers)}${regex ? ' -r' : ''}`, kind: 'shift', req: { destination: { host: t.host, port: t.port }, build, podSelector, traffic: { kind: 'headers', headers, regex } } };
  }
  if (roll < 0.6) {
    const percent = pick(next, [1, 10, 25, 33, 50, 70, 100]);
    return { text: `shift -d ${t.host} -b ${build} -w ${percent}`, kind: 'shift', req: { destination: { host: t.host, port: t.port }, build, podSelector, traffic: { kind: 'weight', percent } } };
  }
  if (roll < 0.85) {
    const force = next() < 0.5;
    const by = next();
    if (by < 0.5) return { text: `rollback -b ${build} -d ${t.host}${force ? ' --force' : ''}`, kind: 'rollback', req: { by: 'build', build, destination: { host: t.host, port: t.port } }, force };
    const selector = by < 0.85 || world.handWritten.length === 0 ? podSelector : pick(next, world.handWritten);
    return { text: `rollback -p ${JSON.stringify(selector)}${force ? ' --force' : ''}`, kind: 'rollback', req: { by: 'pods', podSelector: selector }, force };
  }
  const mode = pick(next, ['soft', 'hard'] as const);
  return { text: `clear -m ${mode}`, kind: 'clear', mode };
}

function planStep(s: RoutingState, step: Step): Plan {
  const frozen = deepFreeze(s);
  if (step.kind === 'shift') return planShift(frozen, step.req, { readinessPolicy: 'warn' });
  if (step.kind === 'rollback') return planRollback(frozen, step.req, { force: step.force });
  return planClear(frozen, { mode: step.mode });
}

/** `resolved host|subset` of every subset the step names as its build (none for clear). */
function namedBuild(s: RoutingState, step: Step): Set<string> {
  const named = new Set<string>();
  if (step.kind === 'shift' || (step.kind === 'rollback' && step.req.by === 'build')) {
    const req = step.req as ShiftRequest | Extract<RollbackRequest, { by: 'build' }>;
    named.add(`${resolveHost(req.destination.host, s.namespace)}|${subsetNameFor(req.destination.host, req.build, s.namespace)}`);
  } else if (step.kind === 'rollback' && step.req.by === 'pods') {
    const selector = step.req.podSelector;
    for (const dr of s.destinationRules) {
      for (const sub of dr.spec.subsets ?? []) {
        const labels = sub.labels ?? {};
        const same = Object.keys(labels).length === Object.keys(selector).length && Object.entries(selector).every(([k, v]) => labels[k] === v);
        if (same) named.add(`${resolveHost(dr.spec.host, dr.metadata.namespace ?? s.namespace)}|${sub.name}`);
      }
    }
  }
  return named;
}

const destKey = (d: HTTPRouteDestination, ns: string): string => `${resolveHost(d.destination.host, ns)}|${d.destination.subset ?? ''}`;

/** Routes of two versions of a VirtualService paired by their match and name (the n-th occurrence of each). */
function pairRoutes(before: readonly HTTPRoute[], after: readonly HTTPRoute[]): [HTTPRoute, HTTPRoute][] {
  const key = (r: HTTPRoute) => JSON.stringify([r.name ?? null, r.match ?? null]);
  const pool = new Map<string, HTTPRoute[]>();
  for (const r of before) pool.set(key(r), [...(pool.get(key(r)) ?? []), r]);
  const pairs: [HTTPRoute, HTTPRoute][] = [];
  for (const r of after) {
    const list = pool.get(key(r));
    const b = list?.shift();
    if (b !== undefined) pairs.push([b, r]);
  }
  return pairs;
}

/** Violations of "a command changes the ratio of two kept destinations only when one is its build". */
function ratioViolations(before: VirtualService, after: VirtualService, ns: string, named: Set<string>): string[] {
  const out: string[] = [];
  for (const [b, a] of pairRoutes(before.spec.http ?? [], after.spec.http ?? [])) {
    const bd = b.route ?? [];
    const ad = a.route ?? [];
    const weightsBefore = new Map(bd.map((d) => [destKey(d, ns), effectiveWeight(d, bd.length)]));
    const weightsAfter = new Map(ad.map((d) => [destKey(d, ns), effectiveWeight(d, ad.length)]));
    const kept = [...weightsAfter.keys()].filter((k) => weightsBefore.has(k) && !named.has(k));
    for (let i = 0; i < kept.length; i++) {
      for (let j = i + 1; j < kept.length; j++) {
        const x = kept[i] as string;
        const y = kept[j] as string;
        const [wx, wy, ax, ay] = [weightsBefore.get(x) ?? 0, weightsBefore.get(y) ?? 0, weightsAfter.get(x) ?? 0, weightsAfter.get(y) ?? 0];
        if (wx + wy === 0 || ax + ay === 0) continue;
        // Each new weight is within 1 of its exact quota w*R/S, so |ax*wy - ay*wx| < wx + wy.
        if (Math.abs(ax * wy - ay * wx) >= wx + wy) out.push(`${after.metadata.name} ${JSON.stringify(a.match ?? null)}: ${x} ${wx}->${ax}, ${y} ${wy}->${ay}`);
      }
    }
  }
  return out;
}

/** Multi-destination routes of a VirtualService whose weights are not integers summing to 100, lone destinations weighted below 100. */
function weightProblems(vs: VirtualService): string[] {
  const out: string[] = [];
  (vs.spec.http ?? []).forEach((r, i) => {
    const dests = r.route ?? [];
    if (dests.length > 1) {
      const ok = dests.every((d) => Number.isInteger(d.weight)) && dests.reduce((sum, d) => sum + (d.weight ?? 0), 0) === 100;
      if (!ok) out.push(`${vs.metadata.name} #${i}: weights ${JSON.stringify(dests.map((d) => d.weight ?? null))}`);
    } else if (dests[0]?.weight !== undefined && dests[0].weight !== 100) {
      out.push(`${vs.metadata.name} #${i}: lone destination weighted ${dests[0].weight}`);
    }
  });
  return out;
}

/**
 * Unreachable routes of every VirtualService that carry a destination to a managed subset.
 * `knownBug`: a managed header route shadowed by an earlier targeted route with the same conditions
 * is tolerated (BUG: see domain-test-findings.md, "a header shift writes its route behind a targeted
 * route with the same conditions"; the strict case is an `it.fails` in plan-shift.test.ts).
 */
function unreachableManaged(s: RoutingState, tolerateKnownBug = false): string[] {
  const out: string[] = [];
  for (const vs of s.subsetUsers?.virtualServices ?? s.virtualServices) {
    const ns = vs.metadata.namespace ?? s.namespace;
    for (const f of classifyVirtualService(vs, s.namespace)) {
      if (f.unreachable === undefined) continue;
      if (tolerateKnownBug && f.unreachable.kind === 'shadowed' && f.managed?.kind === 'header') continue;
      for (const d of f.route.route ?? []) {
        const host = resolveHost(d.destination.host, ns);
        const subset = d.destination.subset;
        if (subset !== undefined && isManagedSubsetName(subset, serviceNameOf(host), serviceOfHost(host)?.namespace ?? ns)) {
          out.push(`${ns}/${vs.metadata.name} #${f.index} (${f.unreachable.kind}) carries ${subset}`);
        }
      }
    }
  }
  return out;
}

const pods = (app: string, labels: Record<string, string>, ready: number): Workload => ({ ref: `Deployment default/${app}-${Object.values(labels).join('-')}`, namespace: 'default', podLabels: { app, ...labels }, readyPods: ready });

/** Two services behind several VirtualServices, hand-written splits and targeted routes, and a gateway in istio-system using a managed subset. */
const shopWorld: World = {
  name: 'a namespace with several hosts, path and targeted routes, hand-written splits and a gateway VirtualService in istio-system',
  targets: [
    { host: 'api', port: 8080, app: 'api' },
    { host: 'web.default.svc.cluster.local', port: 80, app: 'web' },
  ],
  handWritten: [{ version: 'v2' }, { app: 'web', version: 'v1' }],
  start: () =>
    state({
      virtualServices: [
        sampleVirtualService(
          'shop',
          [
            { match: [{ headers: { 'x-team': { exact: 'qa' } } }], route: [dest('api', 'v2', undefined, 8080)] },
            { match: [{ uri: { prefix: '/api/v2' } }], route: [dest('api', 'v1', 50, 8080), dest('api', 'v2', 50, 8080)] },
            { match: [{ uri: { prefix: '/api' } }], route: [dest('api', 'v1', undefined, 8080)], retries: { attempts: 2 } },
            { match: [{ uri: { prefix: '/static' } }], route: [dest('static', undefined, undefined, 80)] },
            { match: [{ uri: { prefix: '/' } }], route: [dest('web', 'v1', 70, 80), dest('web', 'v2', 30, 80)] },
          ],
          { hosts: ['shop.example.com'], gateways: ['istio-system/public'] },
        ),
        sampleVirtualService('api', [{ match: [{ queryParams: { beta: { exact: '1' } } }], route: [dest('api', 'v2')] }, { route: [dest('api', 'v1')] }]),
        sampleVirtualService('web', [{ match: [{ sourceLabels: { app: 'tester' } }], route: [dest('web', 'v2')] }, { route: [dest('web', 'v1', 60), dest('web', 'v2', 40)], mirrors: [{ destination: { host: 'web', subset: 'v2' }, percentage: { value: 5 } }] }]),
      ],
      otherVirtualServices: [
        sampleVirtualService(
          'public-api',
          [
            { match: [{ uri: { prefix: '/public' } }], route: [dest('api.default.svc.cluster.local', 'v1', undefined, 8080)], mirrors: [{ destination: { host: 'api.default.svc.cluster.local', subset: 'api-2-default' } }] },
            { match: [{ uri: { prefix: '/' } }], route: [dest('web.default.svc.cluster.local', 'v1', undefined, 80)] },
          ],
          { namespace: 'istio-system', hosts: ['public.example.com'], gateways: ['public'] },
        ),
      ],
      destinationRules: [
        sampleDestinationRule('api', ['v1', 'v2'], { extraSubsets: [{ name: 'api-2-default', labels: { app: 'api', build: '2' } }] }),
        sampleDestinationRule('web.default.svc.cluster.local', ['v1', 'v2'], { name: 'web' }),
        sampleDestinationRule('static', []),
      ],
      services: [service('api', { app: 'api' }), service('web', { app: 'web' }), service('static', { app: 'static' })],
      workloads: [
        pods('api', { version: 'v1' }, 2),
        pods('api', { version: 'v2' }, 1),
        pods('api', { build: '2' }, 1),
        pods('api', { build: '3' }, 1),
        pods('api', { build: '4' }, 0),
        pods('web', { version: 'v1' }, 2),
        pods('web', { version: 'v2' }, 1),
        pods('web', { build: '2' }, 0),
        pods('web', { build: '3' }, 1),
        pods('web', { build: '4' }, 1),
      ],
    }),
};

/** A namespace the original tool left: an unnamed header route, a three-way catch-all with a mirror, FQDN hosts, readiness from manifests. */
const legacyWorld: World = {
  name: 'a namespace the original tool left',
  targets: [{ host: 'api-domain', port: 5000, app: 'api-domain' }],
  handWritten: [],
  start: () => {
    const fqdn = 'api-domain.default.svc.cluster.local';
    return state({
      virtualServices: [
        virtualService({
          http: [
            headerRoute('2', { 'x-cid': 'old' }, { name: null, weight: null }),
            catchAll([to('1', 80, { host: fqdn }), to('2', 10), to('3', 10)], { mirror: destination(subsetOf('4')), mirrorPercentage: { value: 100 }, timeout: '3s' }),
          ],
        }),
        virtualService({ name: 'api-mesh', hosts: ['api-domain'], http: [catchAll([to('1')], { match: null })] }),
      ],
      otherVirtualServices: [virtualService({ name: 'legacy', labels: { app: 'legacy' }, namespace: 'istio-system', http: [catchAll([to('1', undefined, { host: fqdn })])] })],
      destinationRules: [destinationRule({ host: fqdn, subsets: ['1', '2', '3', '4'] })],
      readiness: 'manifests',
      workloads: [workload('1', 2), workload('2', 0), workload('3', 1)],
    });
  },
};

/** Istio's bookinfo with its gateway VirtualService beside it, and a gateway VirtualService in istio-system sending /reviews to reviews v2 by its full name. */
const bookinfoWorld: World = {
  name: 'bookinfo with its gateway and a gateway VirtualService in istio-system',
  targets: [
    { host: 'reviews', port: 9080, app: 'reviews' },
    { host: 'productpage', port: 9080, app: 'productpage' },
    { host: 'ratings.default.svc.cluster.local', port: 9080, app: 'ratings' },
  ],
  handWritten: [{ version: 'v2' }, { version: 'v3' }],
  start: () =>
    bookinfo({
      reviews: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [dest('reviews', 'v2')] },
        { match: [{ uri: { prefix: '/reviews/beta' } }], route: [dest('reviews', 'v1', 50), dest('reviews', 'v3', 50)] },
        { route: [dest('reviews', 'v1', 80), dest('reviews', 'v3', 20)] },
      ],
      extraVirtualServices: [bookinfoGateway()],
      otherVirtualServices: [
        bookinfoGateway({ namespace: 'istio-system', host: 'productpage.default.svc.cluster.local', extra: [{ match: [{ uri: { prefix: '/reviews' } }], route: [dest('reviews.default.svc.cluster.local', 'v2', undefined, 9080)] }] }),
      ],
      workloads: bookinfoWorkloads('default', ['reviews', 'productpage', 'ratings'].flatMap((app) => ['2', '3', '4'].map((build) => pods(app, { build }, build === '4' ? 0 : 1)))),
    }),
};

describe('every planner keeps routing sound over random command sequences (property)', () => {
  it.each([shopWorld, legacyWorld, bookinfoWorld].map((w) => [w.name, w] as const))('holds in %s', async (_, world) => {
    let plans = 0;
    let ratioChecks = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const next = seededRandom(seed);
      let s = world.start();
      expect(missingSubsets(s), 'the start').toEqual([]);
      expect(unreachableManaged(s), 'the start').toEqual([]);
      const history: string[] = [];
      for (let i = 0; i < 15; i++) {
        const step = randomStep(next, world);
        history.push(step.text);
        const where = `seed ${seed}: ${history.join(' | ')}`;
        let p: Plan;
        try {
          p = planStep(s, step);
        } catch (e) {
          if (e instanceof PlanRefusedError || e instanceof NotFoundError) continue;
          throw new Error(`${where}: ${String(e)}`, { cause: e });
        }
        plans++;
        const named = namedBuild(s, step);
        for (const w of p.writes) {
          if (w.after.kind === 'VirtualService') {
            const ns = w.after.metadata.namespace ?? s.namespace;
            expect(weightProblems(w.after), `${where}: weights written`).toEqual([]);
            expect(ratioViolations(w.before as VirtualService, w.after, ns, named), `${where}: ratio of destinations the command does not name`).toEqual([]);
            ratioChecks++;
          }
          s = applyWrite(s, w.after);
          expect(missingSubsets(s), `${where}: after writing ${w.after.kind} ${w.after.metadata.name}`).toEqual([]);
          await expect(validateSchema(w.after), where).resolves.toBeUndefined();
        }
        expect(unreachableManaged(s), `${where}: unreachable routes`).toEqual([]);
        const again = planStep(s, step);
        expect(again.writes.map((w) => `${w.after.kind}/${w.after.metadata.name}`), `${where}: planned again`).toEqual([]);
      }
    }
    expect(plans).toBeGreaterThan(200);
    expect(ratioChecks).toBeGreaterThan(100);
  });
});

describe('the property\'s own checks', () => {
  it('flag a ratio change between two destinations the command does not name', () => {
    const before = sampleVirtualService('x', [{ route: [dest('a', 'v1', 40), dest('a', 'v2', 60)] }]);
    const after = sampleVirtualService('x', [{ route: [dest('a', 'v1', 90), dest('a', 'b', 10)] }]);
    const dropped = sampleVirtualService('x', [{ route: [dest('a', 'v1', 45), dest('a', 'v2', 45), dest('a', 'b', 10)] }]);
    const skewed = sampleVirtualService('x', [{ route: [dest('a', 'v1', 50), dest('a', 'v2', 40), dest('a', 'b', 10)] }]);
    const named = new Set(['a.default.svc.cluster.local|b']);
    expect(ratioViolations(before, after, 'default', named)).toEqual([]);
    expect(ratioViolations(before, dropped, 'default', named)).toHaveLength(1);
    expect(ratioViolations(before, skewed, 'default', named)).toHaveLength(1);
    expect(ratioViolations(before, skewed, 'default', new Set(['a.default.svc.cluster.local|v1']))).toEqual([]);
  });

  it('flag weights that do not sum to 100 and an unreachable route to a managed subset', () => {
    expect(weightProblems(sampleVirtualService('x', [{ route: [dest('a', 'v1', 40), dest('a', 'v2', 50)] }]))).toHaveLength(1);
    const s = state({ virtualServices: [virtualService({ http: [catchAll([to('1')]), headerRoute('3', { a: 'b' })] })] });
    expect(unreachableManaged(s)).toEqual([`default/api-domain #1 (after-catch-all) carries ${subsetOf('3')}`]);
    const shadowed = state({ virtualServices: [virtualService({ http: [headerRoute('2', { a: 'b' }), headerRoute('3', { a: 'b' }), catchAll([to('1')])] })] });
    expect(unreachableManaged(shadowed, false)).toEqual([`default/api-domain #1 (shadowed) carries ${subsetOf('3')}`]);
  });
});
