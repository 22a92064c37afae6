// A plain Node.js reverse proxy, the floor for any proxy built on Node's http
// module: no parsing beyond Node's own, no checks, no audit. bench/http.ts
// runs it beside Airlock so the report separates Node's cost from Airlock's.
// Usage: node --import tsx bench/node-http-proxy.ts LISTEN_PORT UPSTREAM_PORT
import { Agent, createServer, request } from 'node:http';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, scheduling: 'lifo' });
createServer((req, res) => {
  const upstream = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent }, (upRes) => {
    const chunks: Buffer[] = [];
    upRes.on('data', (chunk: Buffer) => chunks.push(chunk));
    upRes.on('end', () => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      res.end(Buffer.concat(chunks));
    });
  });
  upstream.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}).listen(listenPort, '127.0.0.1');
