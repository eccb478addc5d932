/** The logging the dialogs need; pino's logger satisfies it. Personal data never goes above debug. */
export interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** The time, injected so tests can fix it. */
export interface Clock {
  now(): Date;
}

const turnLoggerKey = Symbol('turnLogger');

/** Remembers a turn's child logger on its context, so everything in the turn logs with the same ids. */
export function setTurnLogger(context: { turnState: Map<unknown, unknown> }, logger: Logger): void {
  context.turnState.set(turnLoggerKey, logger);
}

/** The turn's child logger, or `fallback` outside a turn. */
export function turnLogger(context: { turnState: Map<unknown, unknown> }, fallback: Logger): Logger {
  return (context.turnState.get(turnLoggerKey) as Logger | undefined) ?? fallback;
}
