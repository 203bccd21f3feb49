// A person editing their project: the app's preview open in one tab, the IDE in another. In the
// IDE it opens <file>, finds <find> in it, types <replacement> over it and saves; then it watches
// the preview tab until its text shows <replacement>, without the page reloading (hot reload).
// Reports one JSON line on stdout:
//   {"saveToPreviewMs": n, "reloaded": false, "before": "...", "after": "...", "screenshot": path}
// Usage: node edit.js <preview url> <ide url> <file> <find> <replacement> <screenshot.png>
// CHROMIUM names the browser binary (default /usr/bin/chromium).
'use strict';
const { launch, openWorkbench, patience, run } = require('./browser');

async function main() {
  const [previewUrl, ideUrl, file, find, replacement, screenshot] = process.argv.slice(2);
  if (!screenshot) {
    throw new Error('usage: node edit.js <preview url> <ide url> <file> <find> <replacement> <screenshot.png>');
  }
  const browser = await launch();
  let preview;
  let ide;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    preview = await context.newPage();
    await preview.goto(previewUrl, { waitUntil: 'load', timeout: patience(60000) });
    await preview.waitForFunction((text) => document.body.innerText.includes(text), find, { timeout: patience(60000) });
    const before = await preview.evaluate(() => document.body.innerText);
    // A full reload would lose this; hot reload keeps it.
    await preview.evaluate(() => { window.__spinupLoaded = true; });
    let navigations = 0;
    preview.on('framenavigated', (frame) => { if (frame === preview.mainFrame()) navigations++; });

    ide = await context.newPage();
    await openWorkbench(ide, ideUrl);
    // Quick Open, then the file.
    await ide.locator('.monaco-workbench').click({ position: { x: 640, y: 300 } });
    await ide.keyboard.press('Control+P');
    const quickOpen = ide.locator('.quick-input-widget input');
    await quickOpen.waitFor({ state: 'visible', timeout: patience(30000) });
    await quickOpen.fill(file);
    await ide.locator('.quick-input-widget .monaco-list-row').first().waitFor({ state: 'visible', timeout: patience(30000) });
    await ide.keyboard.press('Enter');
    const editor = ide.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor({ state: 'visible', timeout: patience(30000) });
    await ide.locator('.view-lines').first().filter({ hasText: find }).waitFor({ timeout: patience(30000) });
    await editor.click();
    // Find selects the text; closing the find widget leaves it selected; typing replaces it.
    await ide.keyboard.press('Control+F');
    const findInput = ide.locator('.find-widget textarea, .find-widget input').first();
    await findInput.waitFor({ state: 'visible', timeout: patience(30000) });
    await findInput.fill(find);
    await findInput.press('Enter');
    // the match is selected once the widget counts it
    await ide.locator('.find-widget .matchesCount').filter({ hasText: /^1 of/ }).waitFor({ timeout: patience(30000) });
    // closing the widget gives the editor its focus back, the match still selected
    await ide.locator('.find-widget.visible .codicon-widget-close').click();
    await ide.locator('.find-widget.visible').waitFor({ state: 'hidden', timeout: patience(30000) });
    await ide.keyboard.insertText(replacement);
    await ide.keyboard.press('Control+S');
    const saved = Date.now();
    // The editor's tab loses its "unsaved" dot once the file is written.
    await ide.locator('.tab.active:not(.dirty)').waitFor({ timeout: patience(30000) });

    await preview.bringToFront();
    await preview.waitForFunction((text) => document.body.innerText.includes(text), replacement, { timeout: patience(60000) });
    const saveToPreviewMs = Date.now() - saved;
    const after = await preview.evaluate(() => document.body.innerText);
    await preview.screenshot({ path: screenshot });
    const reloaded = navigations > 0 || !(await preview.evaluate(() => window.__spinupLoaded === true));
    process.stdout.write(JSON.stringify({ saveToPreviewMs, reloaded, before, after, screenshot }) + '\n');
  } catch (e) {
    const base = screenshot.replace(/\.png$/, '');
    if (preview) await preview.screenshot({ path: base + '-preview-failed.png' }).catch(() => {});
    if (ide) await ide.screenshot({ path: base + '-ide-failed.png' }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

run(main);
