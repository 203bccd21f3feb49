// Serves a built single-page app (a template's dist/ or out/) on $SPINUP_APP_HOST:$SPINUP_APP_PORT.
// No dependencies, so a workspace serves its app without node_modules; /healthz answers "ok".
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const root = path.resolve(process.argv[2] || 'dist');
const port = Number(process.env.SPINUP_APP_PORT || 3000);
const host = process.env.SPINUP_APP_HOST || '127.0.0.1';
if (!fs.existsSync(path.join(root, 'index.html'))) {
  console.error(`spinup-guest: ${root} holds no built app (index.html): run npm install && npm run build`);
  process.exit(66);
}
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8', '.woff2': 'font/woff2',
};

function send(res, file) {
  fs.readFile(file, (err, body) => {
    if (err) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found\n'); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(body);
  });
}

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/healthz') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok\n'); return; }
  const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)));
  if (!file.startsWith(root)) { res.writeHead(400); res.end(); return; }
  fs.stat(file, (err, st) => {
    if (!err && st.isFile()) send(res, file);
    else if (!err && st.isDirectory() && fs.existsSync(path.join(file, 'index.html'))) send(res, path.join(file, 'index.html'));
    else if (fs.existsSync(file + '.html')) send(res, file + '.html');
    else send(res, path.join(root, 'index.html')); // client-side routes
  });
}).listen(port, host, () => console.log(`serving ${root} on ${host}:${port}`));
