// A workspace app for the edge tests: "/" names the workspace, /healthz answers, and /ws
// upgrades to a WebSocket that greets the client (what a dev server's live reload needs).
'use strict';
const http = require('http');
const crypto = require('crypto');

const name = process.env.SPINUP_DISPLAY_NAME || 'workspace';
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(req.url === '/healthz' ? 'ok\n' : '<h1>' + name + '</h1>\n');
});
server.on('upgrade', (req, socket) => {
  socket.on('error', () => {});
  const key = req.headers['sec-websocket-key'];
  if (req.url !== '/ws' || !key) {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    return;
  }
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    + 'Sec-WebSocket-Accept: ' + accept + '\r\n\r\n');
  const text = Buffer.from('hello from ' + name).subarray(0, 125);
  socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text]));
});
server.listen(Number(process.env.SPINUP_APP_PORT), '127.0.0.1');
