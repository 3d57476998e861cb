// The browser end-to-end test: starts the fake model server and a fresh Hearth, drives Debian's
// Chromium through the whole product as a user would (first admin, connection, streaming chat, a
// second tab following live, stop/regenerate/edit/branches, sidebar, knowledge + citations, drive,
// settings, approval of a pending user), writes screenshots at desktop and phone widths to
// e2e/screenshots/, and fails on any console error. Prints "N passed, N failed" at the end.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { artifactsDir, CHROMIUM_ARGS, startFakeLlm, startHearth, startUi, stopAll, webDir } from './servers.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const TIMEOUT = 30_000;
const screenshotsDir = join(webDir, 'e2e', 'screenshots');
const replyFile = join(webDir, 'e2e', 'reply.md');
const reply = readFileSync(replyFile, 'utf8');
const pdf = join(webDir, '..', 'tests', 'fixtures', 'rag', 'corpus', 'manual.pdf');
const manifest = JSON.parse(readFileSync(join(webDir, '..', 'tests', 'fixtures', 'rag', 'corpus', 'manifest.json'), 'utf8'));
const pdfFact = manifest.find((entry) => entry.file === 'manual.pdf');

const admin = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery staple' };
const second = { name: 'Bob Second', email: 'bob@example.com', password: 'another long password 42' };

const consoleErrors = [];
const failedResponses = [];
const socketFrames = [];
const results = [];

/** Polls `check` until it returns a truthy value (no fixed sleeps: the UI's own state decides). */
async function until(what, check, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function watchConsole(page, label) {
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`[${label}] console.error: ${message.text()} (${message.location().url})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) failedResponses.push(`[${label}] ${response.status()} ${response.request().method()} ${response.url()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`[${label}] page error: ${error.message}`));
  page.on('websocket', (socket) => socket.on('framereceived', (frame) => socketFrames.push(String(frame.payload))));
}

async function shots(page, name) {
  mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}-desktop.png`) });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(screenshotsDir, `${name}-phone.png`) });
  await page.setViewportSize(DESKTOP);
}

let failed = false;
async function step(name, body) {
  if (failed) {
    results.push({ name, status: 'skipped' });
    console.log(`- ${name}: skipped`);
    return;
  }
  const started = Date.now();
  try {
    await body();
    results.push({ name, status: 'passed' });
    console.log(`✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed = true;
    results.push({ name, status: 'failed', error });
    console.log(`✗ ${name}: ${error.stack ?? error}`);
  }
}

const composerOf = (page) => page.getByRole('textbox', { name: 'Message', exact: true });
const lastAnswer = (page) => page.locator('.message[data-role="assistant"]').last();
const answerText = async (page) => (await lastAnswer(page).innerText()).trim();
const isStreaming = async (page) => (await lastAnswer(page).getAttribute('data-status')) === 'streaming';

/** Waits for the last answer to finish, recording the lengths seen while it streamed. */
async function followAnswer(page) {
  const lengths = [];
  await until('an answer to start', async () => (await page.locator('.message[data-role="assistant"]').count()) > 0);
  await until(
    'the answer to finish',
    async () => {
      const streaming = await isStreaming(page);
      if (streaming) lengths.push((await answerText(page)).length);
      return !streaming;
    },
    60_000,
  );
  return { lengths, final: await answerText(page) };
}

async function signIn(page, who) {
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

async function apiGet(page, path) {
  return page.evaluate(async (p) => {
    const response = await fetch(p, { headers: { Authorization: `Bearer ${localStorage.getItem('hearth.token')}` } });
    return response.json();
  }, path);
}

async function main() {
  const fakeUrl = await startFakeLlm({ replyFile, tokenDelayMs: 50 });
  const hearthUrl = await startHearth();
  const base = await startUi(hearthUrl);
  console.log(`UI at ${base} (Hearth ${hearthUrl}, fake model server ${fakeUrl})`);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  watchConsole(page, 'tab 1');
  let chatUrl = '';

  try {
    await step('1. first visit shows the first-run sign-up; the admin signs up', async () => {
      await page.goto(base);
      await page.getByRole('heading', { name: 'Create the administrator account' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill(admin.name);
      await page.getByLabel('Email', { exact: true }).fill(admin.email);
      await page.getByLabel('Password', { exact: true }).fill(admin.password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('link', { name: 'Admin', exact: true }).waitFor();
      await page.getByRole('heading', { name: 'What can I help with?' }).waitFor();
    });

    await step('2. admin adds the fake model server, verifies it; the picker lists fake-model', async () => {
      await page.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.getByRole('link', { name: 'Connections' }).click();
      await page.getByText('No connections yet').waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Fake models');
      await page.getByLabel('Base URL').fill(`${fakeUrl}/v1`);
      await page.getByRole('button', { name: 'Add connection' }).click();
      await page.getByRole('button', { name: 'Verify Fake models' }).click();
      await until('the connection to be verified', async () =>
        /Verified: 2 models/.test(await page.locator('[data-connection="Fake models"] .health').innerText()),
      );
      await page.getByRole('link', { name: 'New chat' }).click();
      const picker = page.getByLabel('Model');
      await until('fake-model in the model picker', async () =>
        (await picker.locator('option').allInnerTexts()).includes('fake-model'),
      );
      await picker.selectOption('fake-model');
    });

    await step('3a. chat: the answer streams in (partial text first) and ends complete, Markdown with code', async () => {
      await composerOf(page).fill('Show me a tiny Rust program');
      await composerOf(page).press('Enter');
      const { lengths, final } = await followAnswer(page);
      const partial = lengths.filter((n) => n > 0);
      if (partial.length === 0) throw new Error('no partial answer was visible while streaming');
      if (!(Math.min(...partial) < final.length)) throw new Error(`partial ${Math.min(...partial)} vs final ${final.length}`);
      if (!final.includes('a second tab sees it grow as well.')) throw new Error(`final answer incomplete: ${final}`);
      await lastAnswer(page).locator('pre code.hljs.language-rust').waitFor();
      await page.waitForURL(/\/c\//);
      chatUrl = page.url();
      const chat = await apiGet(page, `/api/v1/chats/${chatUrl.split('/c/')[1]}`);
      const stored = chat.messages.find((m) => m.role === 'assistant');
      if (stored.content !== reply) throw new Error('the stored answer is not every piece of the reply');
      await lastAnswer(page).getByRole('button', { name: 'Copy code' }).click();
      await lastAnswer(page).getByRole('button', { name: 'Code copied' }).waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      if (!copied.includes('println!("Hello from {name}!");')) throw new Error(`copied: ${copied}`);
      await shots(page, 'chat');
    });

    await step('3b. a second tab of the same user sees a running answer arrive live', async () => {
      await composerOf(page).fill('Say it again, slowly');
      await composerOf(page).press('Enter');
      await until('tab 1 to show part of the answer', async () => (await isStreaming(page)) && (await answerText(page)).length > 0);
      const page2 = await context.newPage();
      watchConsole(page2, 'tab 2');
      await page2.goto(chatUrl);
      const seen = new Set();
      await until('tab 2 to show the answer streaming', async () => {
        const answers = page2.locator('.message[data-role="assistant"]');
        if ((await answers.count()) < 2) return false;
        return (await answers.last().getAttribute('data-status')) === 'streaming';
      });
      await until(
        'tab 2 to see the answer grow and finish',
        async () => {
          const streaming = await isStreaming(page2);
          const text = await answerText(page2);
          if (streaming) seen.add(text.length);
          return !streaming && text.includes('a second tab sees it grow as well.');
        },
        60_000,
      );
      if (seen.size < 2) throw new Error(`tab 2 saw ${seen.size} streaming states; expected growth`);
      await followAnswer(page);
      if ((await answerText(page2)) !== (await answerText(page))) throw new Error('the tabs disagree on the answer');
      await page2.close();
    });

    await step('3c. stop, regenerate, edit and navigate branches', async () => {
      await composerOf(page).fill('A third question');
      await composerOf(page).press('Enter');
      await until('part of the answer', async () => (await isStreaming(page)) && (await answerText(page)).length > 10);
      await page.getByRole('button', { name: 'Stop' }).click();
      await page.getByRole('button', { name: 'Send' }).waitFor();
      await lastAnswer(page).getByText('Stopped.').waitFor();
      // The stop ended the answer on the server; it can be regenerated at once.
      await lastAnswer(page).getByRole('button', { name: 'Regenerate answer' }).click();
      await followAnswer(page);
      await lastAnswer(page).getByText('2/2').waitFor();
      await lastAnswer(page).getByRole('button', { name: 'Previous version' }).click();
      await lastAnswer(page).getByText('1/2').waitFor();
      await lastAnswer(page).getByRole('button', { name: 'Next version' }).click();
      await lastAnswer(page).getByText('2/2').waitFor();

      const question = page.locator('.message[data-role="user"]').last();
      await question.getByRole('button', { name: 'Edit message' }).click();
      await page.getByRole('textbox', { name: 'Edit message' }).fill('An edited third question');
      await page.getByRole('button', { name: 'Save and send' }).click();
      await followAnswer(page);
      const edited = page.locator('.message[data-role="user"]').last();
      await until('the edited question', async () => (await edited.innerText()).includes('An edited third question'));
      await edited.getByText('2/2').waitFor();
      await edited.getByRole('button', { name: 'Previous version' }).click();
      await until('the original question', async () => (await page.locator('.message[data-role="user"]').last().innerText()).includes('A third question'));
      await page.locator('.message[data-role="user"]').last().getByText('1/2').waitFor();
      await page.locator('.message[data-role="user"]').last().getByRole('button', { name: 'Next version' }).click();
      await until('the edited question again', async () => (await page.locator('.message[data-role="user"]').last().innerText()).includes('An edited third question'));
    });

    await step('3d. sidebar: rename, pin, search, folders, archive, keyboard menu', async () => {
      const current = page.locator('.chat-item.current');
      await current.getByRole('button', { name: /^Actions for / }).click();
      await page.getByRole('menuitem', { name: 'Rename' }).click();
      await page.getByLabel('Chat title').fill('Rust greetings');
      await page.getByLabel('Chat title').press('Enter');
      await page.locator('.chat-item.current .chat-link', { hasText: 'Rust greetings' }).waitFor();
      await page.getByRole('heading', { name: 'Rust greetings' }).waitFor();
      await page.locator('.chat-item.current').getByRole('button', { name: 'Actions for Rust greetings' }).click();
      await page.getByRole('menuitem', { name: 'Pin' }).click();
      await page.getByRole('region', { name: 'Pinned' }).getByRole('link', { name: /Rust greetings/ }).waitFor();
      await page.getByLabel('Search chats').fill('edited third');
      await page.getByRole('region', { name: 'Search results' }).getByRole('link', { name: /Rust greetings/ }).waitFor();
      await page.getByLabel('Search chats').fill('no chat says this');
      await page.getByText('No chat matches').waitFor();
      await page.getByLabel('Search chats').fill('');
      // Keyboard: the actions menu opens with Enter, moves with arrows, closes with Escape.
      const actions = page.getByRole('button', { name: 'Actions for Rust greetings' });
      await actions.focus();
      await page.keyboard.press('Enter');
      await until('focus in the menu', async () => page.evaluate(() => document.activeElement?.getAttribute('role') === 'menuitem'));
      await page.keyboard.press('ArrowDown');
      await until('the second item focused', async () => (await page.evaluate(() => document.activeElement?.textContent)) === 'Unpin');
      await page.keyboard.press('Escape');
      await page.getByRole('menu').waitFor({ state: 'detached' });
      await until('focus back on the actions button', async () =>
        page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Actions for Rust greetings'),
      );
      // Folders: create one and move the (unpinned) chat into it.
      await actions.click();
      await page.getByRole('menuitem', { name: 'Unpin' }).click();
      await page.getByRole('button', { name: 'New folder' }).click();
      await page.getByLabel('Folder name').fill('Work');
      await page.getByLabel('Folder name').press('Enter');
      await page.getByRole('region', { name: 'Folder Work' }).waitFor();
      await page.getByRole('button', { name: 'Actions for Rust greetings' }).click();
      await page.getByRole('menu').getByLabel('Move to folder').selectOption({ label: 'Work' });
      await page.getByRole('region', { name: 'Folder Work' }).getByRole('link', { name: /Rust greetings/ }).waitFor();
      // Archive and bring back.
      await page.getByRole('button', { name: 'Actions for Rust greetings' }).click();
      await page.getByRole('menuitem', { name: 'Archive' }).click();
      await page.getByRole('region', { name: 'Folder Work' }).getByText('Empty folder').waitFor();
      await page.getByRole('button', { name: 'Show archived' }).click();
      await page.getByRole('region', { name: 'Archived' }).getByRole('button', { name: 'Actions for Rust greetings' }).click();
      await page.getByRole('menuitem', { name: 'Unarchive' }).click();
      await page.getByText('No archived chats.').waitFor();
      await page.getByRole('button', { name: 'Show active chats' }).click();
      await page.getByRole('region', { name: 'Folder Work' }).getByRole('link', { name: /Rust greetings/ }).waitFor();
    });

    await step('4. knowledge: create a base, upload manual.pdf, watch it reach "ready" live', async () => {
      await page.getByRole('link', { name: 'Knowledge', exact: true }).click();
      await page.getByLabel('Name', { exact: true }).fill('Lighthouse manual');
      await page.getByLabel('Description', { exact: true }).fill('The keeper’s manual');
      await page.getByRole('button', { name: 'Create knowledge base' }).click();
      await page.getByRole('heading', { name: 'Lighthouse manual' }).waitFor();
      await page.getByLabel('Upload files').setInputFiles(pdf);
      const status = page.locator('tr[data-file="manual.pdf"] .status');
      await status.waitFor();
      const states = new Set();
      await until(
        'manual.pdf to be ready',
        async () => {
          const state = await status.getAttribute('data-status');
          states.add(state);
          if (state === 'failed') throw new Error('ingestion failed');
          return state === 'ready';
        },
        120_000,
      );
      // The page learnt it over the WebSocket (it never reloaded or polled).
      const events = socketFrames.filter((f) => f.includes('"file.status"')).map((f) => JSON.parse(f));
      if (!events.some((e) => e.status === 'ready')) throw new Error('no file.status "ready" event reached the page');
      console.log(`  states shown: ${[...states].join(' → ')}; file.status events: ${events.map((e) => e.status).join(' → ')}`);
      await shots(page, 'knowledge');
    });

    await step('5. a chat with the knowledge base attached shows a citation that opens the passage', async () => {
      await page.getByRole('link', { name: 'New chat' }).click();
      await page.getByRole('button', { name: 'Attach knowledge or files' }).click();
      await page.getByRole('dialog').getByLabel('Lighthouse manual').check();
      await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
      await page.getByRole('list', { name: 'Attached' }).getByText('Lighthouse manual').waitFor();
      await composerOf(page).fill(pdfFact.question);
      await composerOf(page).press('Enter');
      await followAnswer(page);
      const chips = lastAnswer(page).locator('.source-chip');
      await until('citations', async () => (await chips.count()) > 0);
      let found = false;
      for (let i = 0; i < (await chips.count()) && !found; i++) {
        await chips.nth(i).click();
        const dialog = page.getByRole('dialog');
        await dialog.locator('.passage').waitFor();
        if ((await dialog.locator('.passage').innerText()).includes(pdfFact.answer_contains)) {
          found = true;
          await shots(page, 'citation');
        }
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      }
      if (!found) throw new Error(`no cited passage contains “${pdfFact.answer_contains}”`);
    });

    await step('6. drive: tus upload with progress, list, rename, download, delete', async () => {
      await page.getByRole('link', { name: 'Drive', exact: true }).click();
      await page.getByRole('heading', { name: 'Drive' }).waitFor();
      const bytes = Buffer.alloc(9 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
      mkdirSync(artifactsDir, { recursive: true });
      const sample = join(artifactsDir, 'sample.bin');
      writeFileSync(sample, bytes);
      await page.getByLabel('Upload files').setInputFiles(sample);
      const progress = page.getByRole('progressbar', { name: 'Upload of sample.bin' });
      await progress.waitFor();
      await until('the upload to finish', async () => (await page.locator('.upload[data-state="done"]').count()) > 0, 60_000);
      if ((await progress.getAttribute('value')) !== '100') throw new Error('progress did not reach 100');
      const row = page.locator('tr[data-file="sample.bin"]');
      await row.waitFor();
      await page.locator('tr[data-file="manual.pdf"]').waitFor();
      await shots(page, 'drive');
      await page.getByRole('button', { name: 'Rename sample.bin' }).click();
      await page.getByLabel('New name for sample.bin').fill('renamed.bin');
      await page.getByLabel('New name for sample.bin').press('Enter');
      await page.locator('tr[data-file="renamed.bin"]').waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download renamed.bin' }).click(),
      ]);
      if (download.suggestedFilename() !== 'renamed.bin') throw new Error(`downloaded as ${download.suggestedFilename()}`);
      const got = readFileSync(await download.path());
      if (!got.equals(bytes)) throw new Error(`downloaded ${got.length} bytes that differ from the upload`);
      await page.getByRole('button', { name: 'Delete renamed.bin' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await page.locator('tr[data-file="renamed.bin"]').waitFor({ state: 'detached' });
    });

    await step('7. settings: dark theme, an API key', async () => {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Dark').check();
      await until('the dark theme', async () => (await page.locator('html').getAttribute('data-theme')) === 'dark');
      await page.getByLabel('Key name').fill('e2e laptop');
      await page.getByRole('button', { name: 'Create API key' }).click();
      const key = await page.getByTestId('new-api-key').innerText();
      if (!key.startsWith('sk-hearth-')) throw new Error(`unexpected key ${key}`);
      await page.getByRole('table', { name: 'API keys' }).getByText('e2e laptop').waitFor();
      await shots(page, 'settings');
      await page.getByLabel('System').check();
    });

    await step('8. a second user signs up pending; the admin approves them; they reach the chat', async () => {
      await page.setViewportSize(PHONE);
      await page.getByRole('button', { name: 'Open menu' }).click();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.setViewportSize(DESKTOP);
      await shots(page, 'signin');
      await page.getByRole('button', { name: 'Create an account' }).click();
      await page.getByLabel('Name', { exact: true }).fill(second.name);
      await page.getByLabel('Email', { exact: true }).fill(second.email);
      await page.getByLabel('Password', { exact: true }).fill(second.password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Pending approval' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await signIn(page, admin);
      await page.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.getByText('1 account(s) waiting for approval.').waitFor();
      await page.getByRole('button', { name: `Approve ${second.email}` }).click();
      await until('the approval', async () => (await page.getByLabel(`Role of ${second.email}`).inputValue()) === 'user');
      await shots(page, 'admin-users');
      await page.getByRole('link', { name: 'Settings', exact: true }).last().click();
      await page.getByRole('heading', { name: 'Settings', level: 2 }).waitFor();
      await page.locator('[data-setting="CHUNK_SIZE"]').getByText('set by the environment').waitFor();
      if ((await page.getByLabel('CHUNK_SIZE').getAttribute('readonly')) === null) throw new Error('CHUNK_SIZE is editable');
      await page.getByLabel('RAG_TOP_K').fill('6');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').getByText('Saved').waitFor();
      await shots(page, 'admin-settings');
      await signOut(page);
      await signIn(page, second);
      await page.getByRole('heading', { name: 'What can I help with?' }).waitFor();
      await composerOf(page).waitFor();
      if (await page.getByRole('link', { name: 'Admin', exact: true }).count()) throw new Error('a plain user sees Admin');
    });

    await step('9. no errors in the browser console', async () => {
      if (consoleErrors.length > 0) throw new Error(`console errors:\n${consoleErrors.join('\n')}`);
    });
  } finally {
    if (failed) {
      mkdirSync(artifactsDir, { recursive: true });
      await page.screenshot({ path: join(artifactsDir, 'failure.png'), fullPage: true }).catch(() => undefined);
    }
    await browser.close();
    stopAll();
  }
}

main()
  .catch((error) => {
    failed = true;
    console.error(error);
  })
  .finally(() => {
    const passed = results.filter((r) => r.status === 'passed').length;
    const failedCount = results.filter((r) => r.status === 'failed').length + (results.length === 0 ? 1 : 0);
    const skipped = results.filter((r) => r.status === 'skipped').length;
    if (consoleErrors.length) console.error(`console errors:\n${consoleErrors.join('\n')}`);
    if (failedResponses.length) console.error(`error responses seen by the browser:\n${failedResponses.join('\n')}`);
    console.log(`${passed} passed, ${failedCount} failed${skipped ? `, ${skipped} skipped` : ''}`);
    process.exitCode = failed || failedCount > 0 ? 1 : 0;
  });
