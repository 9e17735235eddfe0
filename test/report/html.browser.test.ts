/**
 * The HTML report in a real browser: Debian's Chromium (`apt-get install chromium`) driven by
 * playwright-core, which downloads no browser. One browser serves every test. In CI (CI=true) a
 * missing Chromium fails the suite; elsewhere the tests are skipped with a message.
 * Screenshots go to test/artifacts/ (gitignored), to be looked at.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/run.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not on PATH: try the next name
    }
  }
  return undefined;
}

const executable = findChromium();
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';

if (!executable && !inCi) {
  console.warn('html.browser.test.ts: skipped, no chromium on PATH (apt-get install chromium); in CI this fails');
}

describe.skipIf(!executable && !inCi)('the HTML report in Chromium', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'cnnscope-html-'));

  beforeAll(async () => {
    if (!executable) throw new Error('no chromium on PATH: .ci/run installs it (apt-get install chromium)');
    mkdirSync(ARTIFACTS, { recursive: true });
    // Root in a container has no user namespace for Chromium's sandbox.
    browser = await chromium.launch({ executablePath: executable, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  }, 120000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Writes the report of `model` and opens it, recording console errors and every request not to file: or data:. */
  async function open(model: string, args: string[]) {
    const file = join(dir, `${model.replace(/\W/g, '_')}.html`);
    const made = await cli(['report', model, '--html', '-o', file, ...args]);
    expect(made.stderr.replace(/^note: .*\n/gm, '')).toBe('');
    expect(made.code).toBe(0);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.route('**', async (route) => {
      const url = route.request().url();
      if (/^(file|data):/.test(url)) return route.continue();
      requests.push(url);
      return route.abort();
    });
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-ready="true"]');
    return { page, problems, requests };
  }

  async function analyzeJson(model: string, args: string[] = []) {
    const r = await cli(['analyze', model, '--json', ...args]);
    return JSON.parse(r.stdout);
  }

  const nodes = (page: Page) => page.locator('#viewport .node').count();
  const figure = (page: Page, name: string) => page.locator(`#details td[data-figure="${name}"]`).getAttribute('data-value');

  it('resnet50: folded nodes, a block expands, a node shows its figures, search finds a layer', async () => {
    const { page, problems, requests } = await open('resnet50', ['--depth', '1']);
    const folded = await analyzeJson('resnet50', ['--depth', '1']);
    // The input, then one node per row of `analyze --depth 1`.
    expect(await nodes(page)).toBe(folded.blocks.length + 1);
    // An edge's tooltip is the shape of the tensor it carries.
    expect(await page.locator('#viewport .edge title').first().textContent()).toBe('input → conv1: [1, 3, 224, 224]');
    const full = await analyzeJson('resnet50');
    const conv1 = full.layers.find((l: { name: string }) => l.name === 'conv1');
    await page.locator('#viewport .node[data-key="L:conv1"]').click();
    expect(await figure(page, 'MACs')).toBe(String(conv1.macs));
    expect(await figure(page, 'params')).toBe(String(conv1.params));
    expect(await figure(page, 'activation bytes')).toBe(String(conv1.activation_bytes));
    await page.screenshot({ path: join(ARTIFACTS, 'resnet50.png') });

    await page.locator('#viewport .node[data-key="B:layer2"]').click();
    const expanded = await analyzeJson('resnet50', ['--depth', '2']);
    expect(await nodes(page)).toBe(expanded.blocks.length + 1);
    await expect.poll(() => page.locator('#viewport .cluster[data-key="B:layer2"]').count()).toBe(1);
    expect(await figure(page, 'layers')).toBe('42');

    await page.fill('#q', 'layer3.4.conv2');
    await page.press('#q', 'Enter');
    const target = full.layers.find((l: { name: string }) => l.name === 'layer3.4.conv2');
    await expect.poll(() => page.locator('#viewport .node.sel').getAttribute('data-key')).toBe('L:layer3.4.conv2');
    expect(await figure(page, 'MACs')).toBe(String(target.macs));
    await page.screenshot({ path: join(ARTIFACTS, 'resnet50-search.png') });

    // A group folds back (Enter on it; a click on its title does the same).
    await page.locator('#viewport .cluster[data-key="B:layer3.4"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#viewport .node.sel').getAttribute('data-key')).toBe('B:layer3.4');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 120000);

  it('googlenet: Inception blocks expand into their branches; the keyboard reaches them', async () => {
    const { page, problems, requests } = await open('googlenet', ['--depth', '1']);
    const folded = await analyzeJson('googlenet', ['--depth', '1']);
    expect(await nodes(page)).toBe(folded.blocks.length + 1);
    await page.locator('#viewport .node[data-key="B:inception4a"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#viewport .cluster[data-key="B:inception4a"]').count()).toBe(1);
    expect(await page.locator('#viewport .node[data-key="B:inception4a.branch2"]').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'googlenet.png') });
    await page.fill('#q', 'inception4b.branch3.1.conv');
    await page.press('#q', 'Enter');
    await expect.poll(() => page.locator('#viewport .node.sel').getAttribute('data-key')).toBe('L:inception4b.branch3.1.conv');
    await page.screenshot({ path: join(ARTIFACTS, 'googlenet-search.png') });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 120000);

  it('an ONNX model, unfolded, in the dark colour scheme', async () => {
    const onnx = 'test/fixtures/onnx/squeezenet1_1_opset17.onnx';
    const { page, problems, requests } = await open(onnx, []);
    const full = await analyzeJson(onnx);
    expect(await nodes(page)).toBe(full.layers.length + 1);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ARTIFACTS, 'squeezenet1_1-onnx-dark.png') });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 120000);
});
