// Opens a code-server workbench in Debian's chromium (playwright-core, no browser download) and
// reports, as one JSON line on stdout, what a person would see:
//   {"workbenchMs": n, "promptMs": n|null, "explorer": ["README.md", ...], "terminal": "..."|null, "screenshot": path}
// Usage: node ide.js <url> <screenshot.png> [<terminal command> <text its output contains>]
// CHROMIUM names the browser binary (default /usr/bin/chromium).
'use strict';
const { launch, openWorkbench, patience, run } = require('./browser');

async function main() {
  const [url, screenshot, command, expected] = process.argv.slice(2);
  if (!url || !screenshot || (command && !expected)) {
    throw new Error('usage: node ide.js <url> <screenshot.png> [<terminal command> <text its output contains>]');
  }
  const browser = await launch();
  let page;
  try {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const started = Date.now();
    // Interactive: the workbench is there and the explorer lists the folder's files.
    const rows = await openWorkbench(page, url);
    const workbenchMs = Date.now() - started;
    const explorer = (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') || e.textContent)))
      .map((label) => label.trim());
    let terminal = null;
    let promptMs = null;
    if (command) {
      await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } });
      // a new terminal, focused, whether or not the panel was open when the workbench came back
      await page.keyboard.press('Control+Shift+Backquote');
      const xterm = page.locator('.terminal-wrapper .xterm:visible').last();
      await xterm.waitFor({ state: 'visible', timeout: patience(30000) });
      await xterm.click();
      // Type only once the shell shows its prompt: keys sent earlier are echoed by the terminal
      // before the shell reads them and end up mixed into what it prints.
      const screen = page.locator('.terminal-wrapper .xterm-rows:visible').last();
      const asked = Date.now();
      const promptBy = asked + patience(30000);
      let shown = '';
      while (!/[#$]\s*$/.test((shown = (await screen.count()) ? await screen.innerText() : '').trimEnd() + ' ')) {
        if (Date.now() > promptBy) {
          throw new Error(`the terminal showed no prompt within ${patience(30000) / 1000} s; it showed: ` + JSON.stringify(shown.trimEnd()));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      promptMs = Date.now() - asked;
      await page.keyboard.type(command);
      await page.keyboard.press('Enter');
      // The terminal renders into the DOM (the IDE's settings turn GPU rendering off): read it
      // until the command's output is there, or give up at the deadline.
      const rowsOnScreen = page.locator('.terminal-wrapper .xterm-rows:visible').last();
      const deadline = Date.now() + patience(30000);
      do {
        terminal = (await rowsOnScreen.count()) ? await rowsOnScreen.innerText() : '';
        if (terminal.split('\n').some((line) => line.trim() === expected)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      } while (Date.now() < deadline);
    }
    await page.screenshot({ path: screenshot });
    process.stdout.write(JSON.stringify({ workbenchMs, promptMs, explorer, terminal, screenshot }) + '\n');
  } catch (e) {
    // what the page showed when it went wrong, beside the screenshot it would have taken
    if (page) await page.screenshot({ path: screenshot.replace(/\.png$/, '') + '-failed.png' }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

run(main);
