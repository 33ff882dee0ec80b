// The WebSocket gateway with authentication: an upgrade needs a one-time ticket, a bearer token or a session
// cookie; anything else is refused with 401 before a WebSocket exists, and counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MemoryBus } from '../bus/memory.ts';
import { silentLogger } from '../common/logging.ts';
import { PgliteStore } from '../store/pglite.ts';
import { AccessControl, wsAuthenticator } from './auth.ts';
import { startWsGateway, type WsGateway } from './ws-gateway.ts';

let store: PgliteStore;
let access: AccessControl;
let gateway: WsGateway;
let token: string;

beforeAll(async () => {
  store = await PgliteStore.open();
  access = new AccessControl(store);
  await access.addUser('watcher', 'viewer');
  token = (await access.createToken('watcher')).token;
  gateway = await startWsGateway(
    new MemoryBus(),
    { port: 0, host: '127.0.0.1', instanceId: 'auth-test' },
    silentLogger,
    {
      authenticate: wsAuthenticator(access),
    },
  );
}, 60_000);

afterAll(async () => {
  await gateway.close();
  await store.close();
});

/** Resolves 'open' once connected, or the HTTP status the upgrade was refused with. */
function connect(path: string, headers: Record<string, string> = {}): Promise<'open' | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}${path}`, { headers });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', () => undefined);
  });
}

describe('WebSocket gateway authentication', () => {
  it('admits a ticket once, a bearer token and a session; refuses anything else with 401', async () => {
    const principal = (await access.authenticate(token))!;
    const { ticket } = await access.issueTicket(principal);
    expect(await connect(`/?ticket=${encodeURIComponent(ticket)}`)).toBe('open');
    expect(await connect(`/?ticket=${encodeURIComponent(ticket)}`)).toBe(401); // used once
    expect(await connect('/', { authorization: `Bearer ${token}` })).toBe('open');
    const session = (await access.openSession(token))!;
    expect(await connect('/ws', { cookie: `hf_session=${session.secret}` })).toBe('open');
    expect(await connect('/')).toBe(401);
    expect(await connect('/', { authorization: `Bearer hft_${'z'.repeat(43)}` })).toBe(401);
    expect(await connect(`/?ticket=${encodeURIComponent(token)}`)).toBe(401); // an API token is not a ticket
    expect(gateway.stats()).toMatchObject({ rejectedAuth: 4, connectionsAccepted: 3 });
  });
});
