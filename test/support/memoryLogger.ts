import type { Logger } from '../../dialogs/ports.js';

/** One log call as recorded: level, message, and the merged bindings and fields. */
export interface LogEntry {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly msg: string | undefined;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every entry in memory, children included, for assertions. */
export function memoryLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: LogEntry[] } {
  const record = (level: LogEntry['level']) => (obj: object, msg?: string) => {
    entries.push({ level, msg, fields: { ...bindings, ...obj } });
  };
  return {
    entries,
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    child: (more) => memoryLogger(entries, { ...bindings, ...more }),
  };
}
