// A tiny static file server for the demo sites and test pages (loopback only).
// `{{EDGE}}` in HTML is replaced by the edge origin, so pages carry the one tag unchanged.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

/**
 * Serves `root` on 127.0.0.1:`port`. `headers(path)` may add response headers (e.g. a CSP).
 * Returns { url, close() }.
 */
export async function serveDir(root, port, { edge = '', headers = () => ({}) } = {}) {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      let body = await readFile(file);
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      if (type.startsWith('text/html')) body = Buffer.from(body.toString('utf8').replaceAll('{{EDGE}}', edge));
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers(path) });
      res.end(body);
    } catch (e) {
      res.writeHead(e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 404 : 500, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const actual = server.address().port;
  return { url: `http://127.0.0.1:${actual}`, port: actual, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
}
