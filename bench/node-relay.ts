// The reference for what any Node.js proxy costs: a plain byte relay
// (net + socket.pipe, Nagle off on both sides), no framing, no parsing.
// Usage: node --import tsx bench/node-relay.ts --listen 127.0.0.1:PORT --upstream 127.0.0.1:5432
import { connect, createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { listen: { type: 'string' }, upstream: { type: 'string' } } });
const [listenHost = '127.0.0.1', listenPort = '0'] = (values.listen ?? '127.0.0.1:0').split(':');
const [upstreamHost = '127.0.0.1', upstreamPort = '5432'] = (values.upstream ?? '127.0.0.1:5432').split(':');

const server = createServer((client) => {
  client.setNoDelay(true);
  const upstream = connect({ host: upstreamHost, port: Number(upstreamPort) });
  upstream.setNoDelay(true);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(Number(listenPort), listenHost, () => {
  const address = server.address();
  process.stdout.write(`node-relay listening on ${typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address)}\n`);
});
process.on('SIGTERM', () => process.exit(0));
