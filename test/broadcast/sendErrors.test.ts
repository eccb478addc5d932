import { expect } from 'chai';
import { classifySendError } from '../../bot/broadcast/sendErrors.js';
import { parseRetryAfter } from '../../bot/retryAfter.js';
import { connectorError } from './fakeTime.js';

const now = Date.parse('2026-11-21T09:30:00.000Z');

describe('what a failed send means', () => {
  it('reads Retry-After as seconds or as an HTTP date, and ignores what it cannot read', () => {
    expect(parseRetryAfter('3', now)).to.equal(3000);
    expect(parseRetryAfter(' 1.5 ', now)).to.equal(1500);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:30:10 GMT', now)).to.equal(10_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:29:00 GMT', now), 'a date already past').to.equal(0);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
    expect(parseRetryAfter(undefined, now)).to.equal(undefined);
  });

  it('429 pauses, 412 and 5xx are retried, 403 and 404 mean gone, other statuses fail at once, and no status (the network) is retried', () => {
    const kinds = [429, 412, 500, 502, 503, 504, 403, 404, 400, 401, 413, 501].map((status) => {
      const f = classifySendError(connectorError(status, status === 429 ? '2' : undefined), now);
      return `${status}:${f.kind}`;
    });
    expect(kinds).to.deep.equal(['429:throttled', '412:transient', '500:transient', '502:transient', '503:transient', '504:transient', '403:gone', '404:gone', '400:permanent', '401:permanent', '413:permanent', '501:permanent']);
    expect(classifySendError(connectorError(429, '2'), now)).to.deep.equal({ kind: 'throttled', code: 'http-429', retryAfterMs: 2000 });
    expect(classifySendError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), now)).to.deep.equal({ kind: 'transient', code: 'ECONNRESET' });
    expect(classifySendError(new TypeError('boom'), now)).to.deep.equal({ kind: 'transient', code: 'error' });
  });

  it('keeps only a short code from an error, never its message (which could name someone)', () => {
    const f = classifySendError(Object.assign(new Error('could not reach Jane Testperson'), { code: 'could not reach Jane Testperson' }), now);
    expect(f.code).to.equal('error');
  });
});
