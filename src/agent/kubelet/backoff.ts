// Container restart back-off as the kubelet does it: the first restart is
// immediate, then 10 s doubling up to 5 min; a container that ran for
// 10 minutes starts over with no back-off.
export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;
export const RESET_AFTER_MS = 2 * MAX_BACKOFF_MS;

export interface BackoffState {
  /** delay to use for the next restart; 0 = restart at once */
  nextDelayMs: number;
}

export function initialBackoff(): BackoffState {
  return { nextDelayMs: 0 };
}

/** After an exit: the delay before restarting now, and the state for the exit after that. */
export function onContainerExit(state: BackoffState, ranForMs: number): { delayMs: number; next: BackoffState } {
  const base = ranForMs >= RESET_AFTER_MS ? 0 : state.nextDelayMs;
  const following = base === 0 ? INITIAL_BACKOFF_MS : Math.min(base * 2, MAX_BACKOFF_MS);
  return { delayMs: base, next: { nextDelayMs: following } };
}

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === "Always" || (policy === "OnFailure" && exitCode !== 0);
}
