import type { IncomingMessage } from 'node:http';

/**
 * An HTTP answer's whole body, up to `limit` bytes: a larger one is destroyed and refused, and
 * one that ends before it is complete is refused.
 */
export const readBody = (response: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        response.destroy(new Error(`upstream answer larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    response.once('error', reject);
    response.once('close', () => {
      if (!response.complete) reject(new Error('upstream closed the answer before its end'));
    });
  });
