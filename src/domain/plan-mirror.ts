import type { Plan } from './changes.js';
import type { MirrorRemoveRequest, MirrorRequest } from './requests.js';
import type { RoutingState } from './state.js';
import type { ReadinessPolicy } from './plan-shift.js';

/** Options of {@link planMirror}. */
export interface MirrorOptions {
  readonly readinessPolicy: ReadinessPolicy;
}

/** Plans `mirror`. (Being written: the route model comes first.) */
export function planMirror(_state: RoutingState, _req: MirrorRequest, _options: MirrorOptions = { readinessPolicy: 'warn' }): Plan {
  throw new Error('planMirror: not implemented yet');
}

/** Plans `mirror --remove`. */
export function planMirrorRemove(_state: RoutingState, _req: MirrorRemoveRequest): Plan {
  throw new Error('planMirrorRemove: not implemented yet');
}
