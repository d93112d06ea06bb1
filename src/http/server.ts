import type { FastifyInstance } from 'fastify';

export interface StartServerOptions {
  app: FastifyInstance;
  host: string;
  port: number;
}

export interface RunningServer {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /**
   * Stops accepting connections, answers new requests on open connections with
   * 503, lets in-flight requests finish (long-polls answer at once) and
   * resolves when all is closed. Safe to call more than once.
   */
  close(): Promise<void>;
}

export async function startServer({ app, host, port }: StartServerOptions): Promise<RunningServer> {
  const url = await app.listen({ host, port });
  let closed: Promise<void> | undefined;
  return {
    url,
    close: () => (closed ??= app.close()),
  };
}
