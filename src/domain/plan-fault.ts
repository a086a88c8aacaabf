import type { Plan } from './changes.js';
import type { FaultRemoveRequest, FaultRequest } from './requests.js';
import type { RoutingState } from './state.js';

/** Plans `fault`. (Being written: the route model comes first.) */
export function planFault(_state: RoutingState, _req: FaultRequest): Plan {
  throw new Error('planFault: not implemented yet');
}

/** Plans `fault --remove`. */
export function planFaultRemove(_state: RoutingState, _req: FaultRemoveRequest): Plan {
  throw new Error('planFaultRemove: not implemented yet');
}
