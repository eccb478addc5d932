import { pino } from 'pino';
import type { Logger } from '../dialogs/ports.js';
import type { LogLevel } from './config.js';

/** JSON logs on stderr, so stdout carries only what a person starting the bot needs to read. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { app: 'smartcard-assistant' } }, pino.destination(2));
}
