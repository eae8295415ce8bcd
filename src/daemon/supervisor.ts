// When a dead node agent is started again: at once the first time, then with
// a doubling delay (1 s … 30 s) while it keeps dying young, as a service
// manager would; an agent that ran for a minute starts the count afresh.
export const AGENT_RESTART_MAX_DELAY_MS = 30_000;
export const AGENT_STABLE_AFTER_MS = 60_000;

export interface RestartHistory {
  /** restarts since the agent last ran stably */
  restarts: number;
  /** how long the agent that just died had been running */
  uptimeMs: number;
}

/** The delay before the next start and the restart count to carry (pure). */
export function nextAgentRestart(h: RestartHistory): { delayMs: number; restarts: number } {
  const restarts = h.uptimeMs >= AGENT_STABLE_AFTER_MS ? 0 : h.restarts;
  const delayMs = restarts === 0 ? 0 : Math.min(AGENT_RESTART_MAX_DELAY_MS, 1000 * 2 ** (restarts - 1));
  return { delayMs, restarts: restarts + 1 };
}
