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
