// What ide.js and edit.js share: Debian's chromium launched through playwright-core (never a
// downloaded browser), the wait for a code-server workbench, and how a script reports failure.
// CHROMIUM names the browser binary (default /usr/bin/chromium).
'use strict';
const { chromium } = require('playwright-core');

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

// Opens the workbench at url in page and returns once its explorer lists the folder's files.
async function openWorkbench(page, url) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  const rows = page.locator('.explorer-folders-view .monaco-list-row');
  await rows.first().waitFor({ state: 'visible', timeout: 60000 });
  return rows;
}

// Runs main; an error is printed to stderr and the process exits 1.
function run(main) {
  main().catch((e) => {
    process.stderr.write(String(e && e.stack || e) + '\n');
    process.exit(1);
  });
}

module.exports = { launch, openWorkbench, run };
