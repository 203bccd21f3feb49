// The starter project: a small web app with no dependencies. It serves the welcome page and
// a tiny notes API whose files live in the workspace (data/), so they survive a suspend,
// an archive and a restore.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const port = Number(process.env.SPINUP_APP_PORT || 3000);
const host = process.env.SPINUP_APP_HOST || '127.0.0.1';
const name = process.env.SPINUP_DISPLAY_NAME || 'workspace';
const dataDir = path.join(__dirname, 'data');
const page = fs.readFileSync(path.join(__dirname, 'index.html'), 'utf8');
const NOTE = /^\/notes\/([A-Za-z0-9._-]{1,64})$/;

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page.replaceAll('{{name}}', escapeHtml(name)));
    return;
  }
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  const note = NOTE.exec(url.pathname);
  if (note) {
    const file = path.join(dataDir, note[1]);
    if (req.method === 'GET') {
      fs.readFile(file, (err, body) => {
        res.writeHead(err ? 404 : 200, { 'content-type': 'text/plain' });
        res.end(err ? 'no such note\n' : body);
      });
      return;
    }
    if (req.method === 'PUT') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        fs.mkdirSync(dataDir, { recursive: true });
        const tmp = file + '.tmp';
        fs.writeFileSync(tmp, Buffer.concat(chunks));
        fs.renameSync(tmp, file);
        res.writeHead(204);
        res.end();
      });
      return;
    }
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});

server.listen(port, host, () => console.log(`starter app listening on ${host}:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
