// First-load measurements of the chat screen, signed in, with a cold cache each time: the
// JavaScript shipped (every JS response body of the first load, gzipped here with node:zlib so the
// number does not depend on the server compressing) and time to interactive (navigation start to
// the app's `hearth:chat-interactive` mark: message box enabled, model list loaded), median of 5.
// Prints {"js_gzip_bytes", "js_files", "tti_ms_median", "tti_ms"} as JSON on stdout.
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, startFakeLlm, startHearth, startUi, stopAll } from './servers.mjs';

const RUNS = 5;

async function api(base, path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function main() {
  const fakeUrl = await startFakeLlm();
  const hearthUrl = await startHearth();
  const base = await startUi(hearthUrl);
  const { token } = await api(hearthUrl, '/api/v1/auths/signup', null, {
    name: 'Measure', email: 'measure@example.com', password: 'a long enough password',
  });
  await api(hearthUrl, '/api/v1/connections', token, { name: 'Fake', kind: 'openai', base_url: `${fakeUrl}/v1` });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const tti = [];
  let jsGzipBytes = 0;
  let jsFiles = 0;
  try {
    for (let run = 0; run < RUNS; run++) {
      // A new context has an empty cache: every load is cold.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript((t) => localStorage.setItem('hearth.token', t), token);
      const page = await context.newPage();
      const bodies = [];
      if (run === 0) {
        page.on('response', (response) => {
          const type = response.headers()['content-type'] ?? '';
          if (response.request().resourceType() === 'script' || type.includes('javascript')) {
            bodies.push(response.body().then((b) => ({ url: response.url(), gzip: gzipSync(b, { level: 9 }).length })));
          }
        });
      }
      await page.goto(`${base}/`);
      await page.waitForFunction(() => performance.getEntriesByName('hearth:chat-interactive').length > 0, null, { timeout: 30_000 });
      const mark = await page.evaluate(() => performance.getEntriesByName('hearth:chat-interactive')[0].startTime);
      tti.push(Math.round(mark));
      if (run === 0) {
        const files = await Promise.all(bodies);
        jsFiles = files.length;
        jsGzipBytes = files.reduce((sum, f) => sum + f.gzip, 0);
        for (const f of files) console.error(`  ${f.gzip} B gz  ${new URL(f.url).pathname}`);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    stopAll();
  }
  const sorted = [...tti].sort((a, b) => a - b);
  const result = { js_gzip_bytes: jsGzipBytes, js_files: jsFiles, tti_ms_median: sorted[Math.floor(sorted.length / 2)], tti_ms: tti };
  console.log(JSON.stringify(result));
  if (jsGzipBytes > 300 * 1024) {
    console.error(`first-load JavaScript is ${jsGzipBytes} bytes gzipped, over the 300 KB budget`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  stopAll();
  process.exitCode = 1;
});
