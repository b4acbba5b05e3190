import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { expect } from "chai";
import { type Browser, chromium, type Page } from "playwright-core";
import { ExplorerServer } from "../../../node/src/explorer/index.js";
import { createExplorerFixture, type ExplorerFixture, XSS_OUTPUT } from "./explorerFixture.js";

const OPEN = 10n ** 18n;

/** What the app formats (format.js): whole OPEN with thousands separators, then up to 6 decimals. */
function formatOpen(wei: bigint): string {
  const whole = (wei / OPEN).toLocaleString("en-US");
  const frac = (wei % OPEN).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""} OPEN`;
}

describe("explorer in headless Chromium", function () {
  this.timeout(90_000);
  let f: ExplorerFixture;
  let server: ExplorerServer;
  let browser: Browser;
  let page: Page;
  let shots: string;
  const problems: string[] = [];
  const dialogs: string[] = [];

  before(async () => {
    [f, browser, shots] = await Promise.all([
      createExplorerFixture(),
      chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] }),
      // OLNODE_EXPLORER_SHOTS=<dir> keeps the screenshots there to look at; by default they go to a temp dir.
      process.env.OLNODE_EXPLORER_SHOTS ?? mkdtemp(join(tmpdir(), "olnode-explorer-shots-")),
    ]);
    server = await ExplorerServer.init({ port: 0 }, { source: f.source });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Any script error or CSP violation (the app must run under its own policy) fails the suite.
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await f?.close();
    if (shots && process.env.OLNODE_EXPLORER_SHOTS === undefined) await rm(shots, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(problems, problems.join("\n")).to.deep.equal([]);
  });

  async function open(route: string, name = route.split("/")[0] ?? route): Promise<void> {
    await page.goto(`${server.url}#/${route}`);
    await page.waitForSelector(`main[data-page="${name}"][data-ready="true"]`, { timeout: 15_000 });
  }

  /** A full-page screenshot, checked to be a real image of some size. */
  async function screenshot(name: string): Promise<string> {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    expect((await stat(path)).size, `${name}.png`).to.be.greaterThan(20_000);
    return path;
  }

  /** Screenshot of one chart and the share of its pixels in each of `colors` (within a small tolerance). */
  async function chartPixels(selector: string, name: string, colors: readonly string[]): Promise<number[]> {
    const path = join(shots, `${name}.png`);
    await page.locator(`${selector} svg`).screenshot({ path });
    const image = decodePng(await readFile(path));
    const targets = colors.map((c) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16)));
    const counts = colors.map(() => 0);
    let nonWhite = 0;
    for (let p = 0; p < image.width * image.height; p++) {
      const [r, g, b] = [image.rgba[p * 4] ?? 0, image.rgba[p * 4 + 1] ?? 0, image.rgba[p * 4 + 2] ?? 0];
      if (r < 245 || g < 245 || b < 245) nonWhite++;
      targets.forEach(([tr = 0, tg = 0, tb = 0], i) => {
        if (Math.abs(r - tr) + Math.abs(g - tg) + Math.abs(b - tb) < 24) counts[i] = (counts[i] ?? 0) + 1;
      });
    }
    const total = image.width * image.height;
    expect(nonWhite / total, `${name}: the chart region is blank`).to.be.greaterThan(0.03);
    return counts.map((c) => c / total);
  }

  it("shows the overview with inference volume and revenue over time as a chart", async () => {
    await open("overview");
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text as rendered
    const totals = await page.locator("dl.totals").innerText();
    expect(totals).to.match(/Inferences paid\s+9/);
    expect(totals).to.contain(formatOpen(f.collected.reduce((a, b) => a + b, 0n)));
    expect(await page.locator("figure svg rect.revenue").count()).to.equal(2);
    expect(await page.getAttribute("figure svg", "role")).to.equal("img");
    await screenshot("overview");
    const [revenue, inferences] = await chartPixels("main > figure:nth-of-type(1)", "overview-chart", [
      "#0b5cad",
      "#e8590c",
    ]);
    expect(revenue).to.be.greaterThan(0.02);
    expect(inferences).to.be.greaterThan(0);
  });

  it("lists datasets with their stakes and the copycat's duplicate proof", async () => {
    await open("datasets");
    const main = page.locator("main");
    for (const d of f.tour.datasets) {
      const row = main.locator("tr", { hasText: `#${d.id}` }).first();
      await row.waitFor();
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text as rendered
      expect(await row.innerText()).to.contain(formatOpen(d.stake));
    }
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text as rendered
    expect(await main.innerText()).to.contain("olp://datasets/alice/clothing-ads");
    const duplicates = await page.locator('[data-section="duplicates"] tbody tr').allInnerTexts();
    expect(duplicates).to.have.length(1);
    expect(duplicates[0]).to.contain("olp://datasets/mallory/clothing-ads-copy");
    expect(duplicates[0]).to.contain(formatOpen(f.tour.duplicate.slashed));
    await screenshot("datasets");
  });

  it("shows adapter versions with their status, proof and eval score", async () => {
    await open("adapters");
    const rows = await page.locator("main tbody tr").allInnerTexts();
    expect(rows).to.have.length(2);
    expect(rows[0]).to.match(/^v1\s+Active/);
    expect(rows[0]).to.contain("31.50 %");
    expect(rows[1]).to.match(/^v2\s+Rejected/);
    const version = await f.tour.protocol.adapterRegistry.getVersion(1n);
    expect(await page.locator("main tbody tr").first().locator("code").first().getAttribute("title")).to.equal(
      version.proof.checkpointRoot,
    );
    await screenshot("adapters");
  });

  it("draws each settlement's money flow as four parts summing to what it collected", async () => {
    await open("settlements");
    const figure = page.locator("figure").first();
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text as rendered
    expect(await figure.locator("figcaption").innerText()).to.equal("Money flow per redemption");
    const flows = await figure.locator("g.flow").evaluateAll((groups) =>
      groups.map((g) => ({
        collected: g.getAttribute("data-collected"),
        parts: [...g.querySelectorAll("rect.part")].map((r) => [
          r.getAttribute("data-part"),
          r.getAttribute("data-amount"),
        ]),
        widths: [...g.querySelectorAll("rect.part")].map((r) => Number(r.getAttribute("width"))),
      })),
    );
    expect(flows.map((x) => BigInt(x.collected ?? ""))).to.deep.equal(f.collected);
    for (const flow of flows) {
      expect(flow.parts.map(([part]) => part)).to.deep.equal(["burn", "node", "owner", "datasets"]);
      expect(flow.parts.reduce((sum, [, amount]) => sum + BigInt(amount ?? ""), 0n)).to.equal(
        BigInt(flow.collected ?? ""),
      );
      for (const w of flow.widths) expect(w).to.be.greaterThan(0);
    }
    await screenshot("settlements");
    const shares = await chartPixels("main > figure:nth-of-type(1)", "money-flow", [
      "#c92a2a",
      "#1864ab",
      "#7048e8",
      "#2b8a3e",
    ]);
    // Every part is drawn; node (40 %) takes more of the bars than the owner (20 %), the burn (5 %) the least.
    for (const share of shares) expect(share).to.be.greaterThan(0);
    const [burn = 0, node = 0, owner = 0, datasets = 0] = shares;
    expect(node).to.be.greaterThan(owner);
    expect(datasets).to.be.greaterThan(owner);
    expect(owner).to.be.greaterThan(burn);
    expect(await page.locator("figure").nth(1).locator("g.flow").count()).to.equal(2);
  });

  it("attributes per dataset and shows one inference with its spans highlighted", async () => {
    await open("attribution");
    const perDataset = await page.locator("main table").first().locator("tbody tr").allInnerTexts();
    expect(perDataset[0]).to.contain("olp://datasets/alice/clothing-ads");
    expect(perDataset[0]).to.contain(formatOpen(f.claimedByAlice));
    await page.locator(`a[href="#/inference/${f.spanRecordId}"]`).click();
    await page.waitForSelector('main[data-page="inference"][data-ready="true"]');
    expect(await page.locator("mark.span").allInnerTexts()).to.deep.equal([
      "Linen shirt:",
      "made for everyday life, built to last, and priced for you.",
    ]);
    expect(await page.locator("mark.span").nth(1).getAttribute("title")).to.equal("span 2: #1 ×4, #2 ×2");
    expect(await page.locator("[data-spans] li").count()).to.equal(2);
    await screenshot("inference");
  });

  it("renders an output text holding markup as text and runs none of it (XSS)", async () => {
    await open(`inference/${f.xssRecordId}`, "inference");
    const output = page.locator("[data-output]");
    expect(await output.textContent()).to.equal(XSS_OUTPUT);
    expect(await output.locator("img, script").count()).to.equal(0);
    await open("attribution");
    // The list shows the start of the same output; still text.
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text as rendered
    expect(await page.locator("main").innerText()).to.contain("<script>window.__xss");
    expect(await page.locator("main img, main script").count()).to.equal(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: string }).__xss)).to.equal(undefined);
    expect(dialogs).to.deep.equal([]);
  });

  it("lists challenges with their outcome", async () => {
    await open("challenges");
    const rows = await page.locator("main tbody tr").allInnerTexts();
    expect(rows).to.have.length(2);
    expect(rows[0]).to.match(/#1\s+adapter version v1[\s\S]*Dismissed/);
    expect(rows[1]).to.match(/#2\s+adapter version v2[\s\S]*Upheld/);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text as rendered
    expect(await page.locator('nav a[aria-current="page"]').innerText()).to.equal("Challenges");
    await screenshot("challenges");
  });
});

/** Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes) into RGBA bytes. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const chunk = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = chunk.readUInt32BE(0);
      height = chunk.readUInt32BE(4);
      const bitDepth = chunk[8];
      colorType = chunk[9] ?? 0;
      if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || chunk[12] !== 0) {
        throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${chunk[12]}`);
      }
    } else if (type === "IDAT") data.push(chunk);
    offset += 12 + length;
  }
  const channels = colorType === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(data));
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= channels ? (pixels[y * stride + x - channels] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] ?? 0) : 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = pixels[p * channels] ?? 0;
    rgba[p * 4 + 1] = pixels[p * channels + 1] ?? 0;
    rgba[p * 4 + 2] = pixels[p * channels + 2] ?? 0;
    rgba[p * 4 + 3] = channels === 4 ? (pixels[p * channels + 3] ?? 0) : 255;
  }
  return { width, height, rgba };
}
