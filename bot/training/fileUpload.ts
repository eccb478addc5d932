/**
 * Puts a file at the upload URL Teams gives once the user accepts a file consent card: one PUT of the whole file, as
 * the Teams file-consent flow asks (Content-Range over every byte). The URL must be https, or http on this machine
 * (a test stand-in). Rejects when the upload did not succeed.
 */
export async function uploadFile(url: string, content: Buffer, timeoutMs = 30_000): Promise<void> {
  const target = new URL(url);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(target.hostname);
  if (target.protocol !== 'https:' && !(target.protocol === 'http:' && loopback)) throw new Error('the upload URL is not https');
  const response = await fetch(target, {
    method: 'PUT',
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Length': String(content.length),
      'Content-Range': `bytes 0-${Math.max(0, content.length - 1)}/${content.length}`,
    },
    body: new Uint8Array(content),
    signal: AbortSignal.timeout(timeoutMs),
  });
  // The body is not needed; reading it lets the connection be reused or closed.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`the upload was refused with HTTP ${response.status}`);
}
