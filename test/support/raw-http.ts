import { Agent, request } from 'node:http';
import { connect } from 'node:net';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Requests sent exactly as given (no URL normalisation), over keep-alive sockets. */
export class RawHttp {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(base: string, sockets = 16) {
    const url = new URL(base);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string | Buffer,
  ): Promise<Answer> {
    // Frame every body: without a length Node sends a GET's body unframed, and the server
    // (rightly) reads those bytes as the next request.
    const framed =
      body === undefined || Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')
        ? headers
        : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.#host, port: this.#port, method, path, headers: framed, agent: this.#agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Bytes on a fresh socket; resolves with everything the server wrote before closing. */
  sendBytes(bytes: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.#port, this.#host, () => socket.end(bytes));
      let answer = '';
      socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('close', () => resolve(answer));
      socket.on('error', (err: NodeJS.ErrnoException) =>
        // The server may reset a connection it refuses; that is an answer too.
        err.code === 'ECONNRESET' ? resolve(answer) : reject(err),
      );
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
