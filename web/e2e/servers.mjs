// Starting what the browser tests need, fresh each run: the fake model server, Hearth itself (new
// DATA_DIR, free ports) and, in `preview` mode, `vite preview` of web/dist proxying the API to
// Hearth. Everything started here is stopped by `stopAll` (also on failure and on Ctrl-C).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const artifactsDir = join(webDir, 'e2e', 'artifacts');
const children = [];
const tempDirs = [];

export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required (see web/e2e/README.md)`);
    process.exit(2);
  }
  return value;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start(name, command, args, options = {}) {
  mkdirSync(artifactsDir, { recursive: true });
  const log = createWriteStream(join(artifactsDir, `${name}.log`));
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  children.push({ name, child });
  child.on('exit', (code, signal) => {
    if (!child.stopping) console.error(`${name} exited early (code ${code}, signal ${signal}); see e2e/artifacts/${name}.log`);
  });
  return child;
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms${last ? `: ${last.message}` : ''}`);
}

/** The fake model server; resolves with its base URL (`http://127.0.0.1:PORT`). */
export async function startFakeLlm({ replyFile, tokenDelayMs = 30, tokens = 40 } = {}) {
  const bin = requireEnv('HEARTH_FAKE_LLM_BIN');
  const args = ['--port', '0', '--tokens', String(tokens), '--token-delay-ms', String(tokenDelayMs)];
  if (replyFile) args.push('--reply-file', replyFile);
  const child = start('fake-llm', bin, args);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('the fake model server printed no address')), 15_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = /listening (http:\/\/[^\s]+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', () => reject(new Error('the fake model server exited')));
  });
}

/** Hearth on embedded defaults with a fresh data directory; resolves with its base URL. */
export async function startHearth(extraEnv = {}) {
  const bin = requireEnv('HEARTH_BIN');
  const modelDir = requireEnv('HEARTH_TEST_MODEL_DIR');
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-'));
  tempDirs.push(dataDir);
  const port = await freePort();
  start('hearth', bin, ['serve'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      HEARTH_SECRET_KEY: 'e2e-secret-key-that-is-long-enough-0123456789',
      RAG_EMBEDDING_MODEL: modelDir,
      // Fixed by the environment, so the admin settings show one locked setting.
      CHUNK_SIZE: '1000',
      ...extraEnv,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('Hearth', async () => (await fetch(`${url}/ready`)).status === 200, 120_000);
  return url;
}

/** `vite preview` of web/dist (built first when missing) with the API proxied to `hearthUrl`. */
export async function startPreview(hearthUrl) {
  if (!existsSync(join(webDir, 'dist', 'index.html'))) {
    const built = spawnSync('npm', ['run', 'build'], { cwd: webDir, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const port = await freePort();
  start('vite-preview', join(webDir, 'node_modules', '.bin', 'vite'), ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: webDir,
    env: { ...process.env, HEARTH_PROXY_TARGET: hearthUrl },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('vite preview', async () => (await fetch(`${url}/`)).status === 200, 30_000);
  return url;
}

/** Where the browser goes: Hearth's own port (embedded UI) or vite preview in front of it. */
export async function startUi(hearthUrl) {
  const mode = process.env.HEARTH_E2E_UI ?? 'embedded';
  if (mode === 'embedded') return hearthUrl;
  if (mode === 'preview') return startPreview(hearthUrl);
  throw new Error(`HEARTH_E2E_UI must be embedded or preview, not ${mode}`);
}

export function stopAll() {
  for (const { child } of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.stopping = true;
      child.kill('SIGTERM');
    }
  }
  children.length = 0;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.length = 0;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}
process.on('exit', stopAll);

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
