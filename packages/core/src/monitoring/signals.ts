// Maps process signals to an AbortSignal for EtlMonitor.run. Takes the
// process object as a parameter so this module stays runtime-neutral:
// `abortOnSignals(process)` in Node. A second signal gets the default action.
export interface SignalSource {
  once(event: string, listener: (signal: string) => void): unknown;
  off(event: string, listener: (signal: string) => void): unknown;
}

export function abortOnSignals(
  source: SignalSource,
  signals: readonly string[] = ["SIGTERM", "SIGINT"],
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (signal: string) => {
    dispose();
    controller.abort(new Error(`received ${signal}`));
  };
  const dispose = () => {
    for (const s of signals) source.off(s, onSignal);
  };
  for (const s of signals) source.once(s, onSignal);
  return { signal: controller.signal, dispose };
}
