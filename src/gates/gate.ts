/**
 * The canary gate: asked after each step but the last whether the build may take the next weight.
 * istiops ships two ({@link PrometheusGate}, {@link CommandGate}); programs can pass their own.
 */

/** What a gate is told when it is checked. */
export interface GateContext {
  /** 1-based index of the step just taken. */
  readonly step: number;
  /** Percent of the traffic the build carries now (the step's weight), 1..100. */
  readonly weight: number;
  /** Aborted when the canary is interrupted (SIGINT/SIGTERM); a gate should stop waiting then. */
  readonly signal: AbortSignal;
}

/** A gate's verdict. */
export interface GateResult {
  /** True lets the canary take the next step; false rolls the build back. */
  readonly pass: boolean;
  /** The measured value, when there is one (the query's value, the command's exit code). */
  readonly value?: number;
  /** One line saying why, e.g. `value 0.12 is above the maximum 0.05`. */
  readonly reason: string;
}

/** A check between two canary steps. A failing check returns `pass: false`; a gate that throws counts as failing (the build is rolled back). */
export interface Gate {
  /** One line describing the gate for plans and logs, e.g. `command "./smoke.sh"`. */
  readonly description?: string;
  check(ctx: GateContext): Promise<GateResult>;
}
