// A loopback HTTP server for news-feed tests: answers each request from a scripted handler and records what
// was asked (paths and headers), so tests exercise the real HTTP client without touching the network.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Never answer (the client's timeout must end the request). */
  readonly hang?: boolean;
}

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export type ResponseScript = (request: RecordedRequest, index: number) => ScriptedResponse;

export interface FeedServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the handler for the following requests. */
  script(handler: ResponseScript): void;
  close(): Promise<void>;
}

export async function startFeedServer(initial: ResponseScript): Promise<FeedServer> {
  const requests: RecordedRequest[] = [];
  let handler = initial;
  const server: Server = createServer((request, response) => {
    const recorded = { path: request.url ?? '/', headers: request.headers };
    requests.push(recorded);
    const answer = handler(recorded, requests.length - 1);
    if (answer.hang) return;
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(next) {
      handler = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
