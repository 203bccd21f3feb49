// What ide.js and edit.js share: Debian's chromium launched through playwright-core (never a
// downloaded browser), the wait for a code-server workbench, and how a script reports failure.
// CHROMIUM names the browser binary (default /usr/bin/chromium). SPINUP_BROWSER_PACE (default 1)
// multiplies every wait: an IDE inside a VM emulated by TCG does everything several times slower
// than one in a process on the host (its first terminal, say, starts a node process in the guest).
'use strict';
const { chromium } = require('playwright-core');

const PACE = Number(process.env.SPINUP_BROWSER_PACE || 1);
if (!(PACE >= 1)) throw new Error('SPINUP_BROWSER_PACE must be a number >= 1, not ' + process.env.SPINUP_BROWSER_PACE);

// How long to wait for what takes ms at the pace of an IDE in a process.
function patience(ms) {
  return ms * PACE;
}

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

// Opens the workbench at url in page and returns once its explorer lists the folder's files.
async function openWorkbench(page, url) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: patience(60000) });
  const rows = page.locator('.explorer-folders-view .monaco-list-row');
  await rows.first().waitFor({ state: 'visible', timeout: patience(60000) });
  return rows;
}

// Runs main; an error is printed to stderr and the process exits 1.
function run(main) {
  main().catch((e) => {
    process.stderr.write(String(e && e.stack || e) + '\n');
    process.exit(1);
  });
}

module.exports = { launch, openWorkbench, patience, run };
