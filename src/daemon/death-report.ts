// Saying in one line why a control plane process is gone: how it ended and
// the last line of its log that says something (a crash's error message, not
// its stack frames nor Node.js's version footer).

/** The last line of a log worth showing, or undefined when there is none. */
export function lastMeaningfulLine(log: string): string | undefined {
  const lines = log.split("\n").map((l) => l.trimEnd());
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    if (/^\s+at /.test(line) || /^Node\.js v\d/.test(line) || /^\s*\^+\s*$/.test(line)) continue;
    return line.trim().length > 300 ? `${line.trim().slice(0, 300)}…` : line.trim();
  }
  return undefined;
}

/** "the control plane died during start-up (killed by SIGKILL); its log ends: …" */
export function describeControlPlaneDeath(end: { code: number | null; signal: string | null }, logLine: string | undefined, logPath: string): string {
  const how = end.signal ? `killed by ${end.signal}` : end.code === 0 ? "exited with code 0: was it stopped with kemu down?" : `exited with code ${end.code}`;
  return `the control plane died during start-up (${how}); ${logLine ? `its log ends: ${logLine}` : `its log (${logPath}) is empty`}`;
}
