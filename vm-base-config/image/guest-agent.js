// SpinUp guest agent: PID 1 of every workspace VM. It runs the guest entrypoint (the same one
// the process driver runs on the host), reports readiness and health to the host agent over the
// virtio-serial port "spinup.guest", and shuts the guest down cleanly when asked. No SSH.
//
// Line protocol on the port (UTF-8, one message per line):
//   host -> guest   status            guest -> host   status <starting|ready|restarting|stopping> <app restarts>
//                   health            health <state> restarts=<n> root_bytes=<n> root_free=<n>
//                   sync              synced (filesystems flushed: a live snapshot follows)
//                   ports             ports [<port> ...] (what the workspace listens on besides the
//                                     app and the IDE, reachable through the host's forwards)
//                   shutdown                          stopping, then the guest powers off
//   guest -> host, unsolicited: ready | app-exited <code>
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { spawn, execFile, execFileSync } = require('child_process');

const APP_PORT = 8080;
// The IDE listens here inside the VM; the host forwards the workspace's IDE port to it.
const IDE_PORT = 8081;
const CODE_SERVER = '/opt/spinup/code-server';
const TEMPLATE_DEPS = '/opt/spinup/template-deps';
const cmdline = fs.readFileSync('/proc/cmdline', 'utf8');
const encoded = /(?:^|\s)spinup\.config=([A-Za-z0-9+/=_-]+)/.exec(cmdline);
// workspaceId, template, displayName: a URL-encoded query string, base64'd onto the kernel command line
const config = Object.fromEntries(new URLSearchParams(encoded ? Buffer.from(encoded[1], 'base64').toString('utf8') : ''));

let state = 'starting';
let restarts = 0;
let app = null;
let channel = null;

function log(msg) {
  process.stdout.write(`spinup-guest-agent: ${msg}\n`);
}

function findPort() {
  const base = '/sys/class/virtio-ports';
  for (const dev of fs.existsSync(base) ? fs.readdirSync(base) : []) {
    try {
      if (fs.readFileSync(path.join(base, dev, 'name'), 'utf8').trim() === 'spinup.guest') return '/dev/' + dev;
    } catch (e) { /* not ready */ }
  }
  return null;
}

function send(line) {
  if (channel === null) return;
  fs.write(channel, line + '\n', (err) => { if (err) log('channel write failed: ' + err.message); });
}

function openChannel() {
  const dev = findPort();
  if (dev === null) { setTimeout(openChannel, 100); return; }
  channel = fs.openSync(dev, 'r+');
  // A read returns 0 while no host is connected to the port: poll until one is, then keep reading.
  const chunk = Buffer.alloc(4096);
  let buffered = '';
  const readLoop = () => fs.read(channel, chunk, 0, chunk.length, null, (err, n) => {
    if (err || n === 0) {
      if (err) log('channel read failed: ' + err.message);
      setTimeout(readLoop, 100);
      return;
    }
    buffered += chunk.toString('utf8', 0, n);
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      handle(buffered.slice(0, nl).trim());
      buffered = buffered.slice(nl + 1);
    }
    readLoop();
  });
  readLoop();
  log('guest channel ' + dev + ' open');
  if (state === 'ready') send('ready');
}

function handle(command) {
  if (command === 'status') send(`status ${state} ${restarts}`);
  else if (command === 'health') {
    const root = fs.statfsSync('/');
    send(`health ${state} restarts=${restarts} root_bytes=${root.blocks * root.bsize} root_free=${root.bavail * root.bsize}`);
  } else if (command === 'ports') {
    send(['ports', ...listeningPorts()].join(' '));
  } else if (command === 'sync') {
    execFile('sync', () => send('synced'));
  } else if (command === 'shutdown') shutdown();
  else if (command !== '') send('error unknown command ' + command);
}

// The TCP ports listening on every address or on the guest's own (10.0.2.15, where the host's
// forwards arrive), less the app's and the IDE's: /proc/net/tcp{,6}, state 0A. A server bound to
// loopback only cannot be reached from outside the VM, so it is not a preview.
function listeningPorts() {
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines;
    try { lines = fs.readFileSync(table, 'utf8').split('\n').slice(1); } catch (e) { continue; }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue;
      const [address, portHex] = f[1].split(':');
      const reachable = /^0+$/.test(address) || address === '0F02000A' || address === '0000000000000000FFFF00000F02000A';
      const port = parseInt(portHex, 16);
      if (reachable && port !== APP_PORT && port !== IDE_PORT) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

function startApp() {
  const env = Object.assign({}, process.env, {
    PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    HOME: '/workspace',
    SPINUP_WORKSPACE_ID: config.workspaceId || 'unknown',
    SPINUP_WORKSPACE_DIR: '/workspace',
    SPINUP_APP_PORT: String(APP_PORT),
    SPINUP_APP_HOST: '0.0.0.0',
    SPINUP_TEMPLATE: config.template || 'starter',
    SPINUP_DISPLAY_NAME: config.displayName || config.workspaceId || 'workspace',
  });
  // what the image carries (build-image.sh): the IDE beside the app, and the templates' node_modules
  if (fs.existsSync(CODE_SERVER)) {
    Object.assign(env, { SPINUP_CODE_SERVER: CODE_SERVER, SPINUP_IDE_PORT: String(IDE_PORT), SPINUP_IDE_HOST: '0.0.0.0' });
  }
  if (fs.existsSync(TEMPLATE_DEPS)) env.SPINUP_TEMPLATE_DEPS = TEMPLATE_DEPS;
  app = spawn('sh', ['/opt/spinup/guest/entrypoint.sh'], { env, stdio: 'inherit', detached: true });
  app.on('exit', (code, signal) => {
    app = null;
    if (state === 'stopping') return;
    restarts++;
    state = 'restarting';
    send(`app-exited ${code === null ? signal : code}`);
    log(`app exited (${code === null ? signal : code}); restarting`);
    setTimeout(() => { state = 'starting'; startApp(); waitReady(); }, 1000);
  });
}

function waitReady() {
  if (state !== 'starting') return;
  const req = http.get({ host: '127.0.0.1', port: APP_PORT, path: '/', timeout: 1000 }, (res) => {
    res.resume();
    if (res.statusCode < 500 && state === 'starting') {
      state = 'ready';
      log('app answers on port ' + APP_PORT);
      send('ready');
    } else setTimeout(waitReady, 50);
  });
  req.on('error', () => setTimeout(waitReady, 50));
  req.on('timeout', () => req.destroy());
}

function shutdown() {
  if (state === 'stopping') return;
  state = 'stopping';
  send('stopping');
  const running = app;
  const powerOff = () => {
    try { execFileSync('sync'); } catch (e) { /* best effort */ }
    log('powering off');
    try { execFileSync('reboot', ['-f']); } catch (e) { process.exit(0); }
  };
  if (running === null) { powerOff(); return; }
  running.on('exit', powerOff);
  try { process.kill(-running.pid, 'SIGTERM'); } catch (e) { /* already gone */ }
  setTimeout(() => { try { process.kill(-running.pid, 'SIGKILL'); } catch (e) { /* gone */ } }, 10000);
}

log(`workspace ${config.workspaceId} template ${config.template}`);
openChannel();
startApp();
waitReady();
