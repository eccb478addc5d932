import { parseRetryAfter } from '../retryAfter.js';

/**
 * What a failed proactive send means for the queue. botframework-connector throws @azure/core-rest-pipeline's
 * RestError: `statusCode`, and `response.headers` (an HttpHeaders with `get`) carrying Retry-After; a request that
 * never reached the service has no status but a `code` (REQUEST_SEND_ERROR, ECONNRESET ...).
 */
export type SendFailure =
  /** 429: pause all sending for `retryAfterMs`. */
  | { readonly kind: 'throttled'; readonly code: string; readonly retryAfterMs: number | undefined }
  /** 412, 500, 502, 503, 504 or the network: try again later. */
  | { readonly kind: 'transient'; readonly code: string }
  /** 403, 404: the person removed the app or left; stop messaging them. */
  | { readonly kind: 'gone'; readonly code: string }
  /** Any other refusal: trying again will not help. */
  | { readonly kind: 'permanent'; readonly code: string };

// As Teams documents them: the rest mean the request itself is wrong, and sending it again will not help.
const transientStatuses = new Set([412, 500, 502, 503, 504]);

/** Classifies what a Notifier threw. `nowMs` (epoch) turns a Retry-After date into a wait. */
export function classifySendError(error: unknown, nowMs: number): SendFailure {
  const status = statusOf(error);
  if (status === undefined) {
    const code = codeOf(error);
    return { kind: 'transient', code: code ?? 'error' };
  }
  const code = `http-${status}`;
  if (status === 429) return { kind: 'throttled', code, retryAfterMs: parseRetryAfter(headerOf(error, 'retry-after'), nowMs) };
  if (transientStatuses.has(status)) return { kind: 'transient', code };
  if (status === 403 || status === 404) return { kind: 'gone', code };
  return { kind: 'permanent', code };
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { statusCode?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const candidate of [e.statusCode, e.response?.status, e.status]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 100 && candidate <= 599) return candidate;
  }
  return undefined;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  // Only a short error code is kept (it goes in the store and the logs), never a message.
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code) ? code : undefined;
}

function headerOf(error: unknown, name: string): string | undefined {
  const headers = (error as { response?: { headers?: unknown } }).response?.headers;
  if (typeof headers !== 'object' || headers === null) return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const value: unknown = get.call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  const plain = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return typeof plain === 'string' ? plain : undefined;
}
