import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { createExplorerHandler, ExplorerSource, encodeJson } from "../../../../node/src/explorer/index.js";

const DIR = "node/src/explorer";
const deployment = {
  chainId: 31337,
  deployBlock: 1n,
  contracts: {
    openToken: "0x0000000000000000000000000000000000000001",
    datanetRegistry: "0x0000000000000000000000000000000000000002",
    nodeRegistry: "0x0000000000000000000000000000000000000003",
    adapterRegistry: "0x0000000000000000000000000000000000000004",
    arbiter: "0x0000000000000000000000000000000000000005",
    paymentEscrow: "0x0000000000000000000000000000000000000006",
    settlement: "0x0000000000000000000000000000000000000007",
  },
} as const;

describe("explorer", () => {
  it("encodes every bigint as a decimal string, however large", () => {
    const json = JSON.parse(encodeJson({ a: 2n ** 200n, b: [1n, { c: 0n }], d: 7 }).toString());
    expect(json).to.deep.equal({ a: (2n ** 200n).toString(), b: ["1", { c: "0" }], d: 7 });
  });

  it("refuses bounds that are not positive, naming the option", () => {
    const client = {} as never;
    expect(() => new ExplorerSource({ deployment, maxEntities: 1.5 }, { client })).to.throw(
      /maxEntities must be a positive integer/,
    );
    expect(() => new ExplorerSource({ deployment, maxScannedRecords: -1 }, { client })).to.throw(
      /maxScannedRecords must be a positive integer/,
    );
    expect(() => new ExplorerSource({ deployment, maxBlockRange: 0n }, { client })).to.throw(
      /maxBlockRange must be positive/,
    );
  });

  it("refuses a base path that does not start with a slash", () => {
    const source = new ExplorerSource({ deployment }, { client: {} as never });
    expect(() => createExplorerHandler({ source, basePath: "explorer" })).to.throw(/basePath must start with "\/"/);
  });

  it("builds no markup from strings in the app: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval", async () => {
    const dir = join(DIR, "static");
    const files = (await readdir(dir)).filter((f) => f.endsWith(".js"));
    expect(files).to.include.members(["app.js", "dom.js", "charts.js", "format.js"]);
    for (const file of files) {
      const text = await readFile(join(dir, file), "utf8");
      expect(text, file).to.not.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
      // Nothing is fetched from elsewhere: only the app's own relative URLs.
      expect(text, file).to.not.match(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
    const html = await readFile(join(dir, "index.html"), "utf8");
    expect(html).to.not.match(/https?:\/\//);
    expect(html).to.not.match(/<script(?![^>]*\bsrc=)/);
  });

  it("imports other modules only through their index.ts", async () => {
    for (const file of (await readdir(DIR)).filter((f) => f.endsWith(".ts"))) {
      const text = await readFile(join(DIR, file), "utf8");
      for (const [, path] of text.matchAll(/from "(\.\.\/[^"]+)"/g)) {
        expect(path, `${file} imports ${path}`).to.match(/^\.\.\/[a-z]+\/(index|abi\/index)\.js$/);
      }
    }
  });
});
