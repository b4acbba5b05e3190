import { readdirSync, readFileSync } from "node:fs";
import { expect } from "chai";

const DIR = new URL("../../../../node/src/attribution/", import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith(".ts"));

/** attribution/ uses node builtins, viem and prom-client types, and other modules through their index only. */
const ALLOWED = [
  /^node:[a-z/]+$/,
  /^viem$/,
  /^prom-client$/,
  /^\.\.\/(protocol|logger)\/index\.js$/,
  /^\.\/[a-zA-Z]+\.js$/,
];

describe("attribution/ boundaries", () => {
  for (const file of files) {
    it(`${file} imports only builtins, viem, prom-client, protocol/logger through index.js and its own files`, () => {
      const source = readFileSync(new URL(file, DIR), "utf8");
      for (const [, specifier] of source.matchAll(/\bfrom\s+"([^"]+)"/g)) {
        expect(
          ALLOWED.some((re) => re.test(specifier ?? "")),
          `${file}: ${specifier}`,
        ).to.equal(true);
      }
    });
  }

  it("index.ts re-exports by name, never with export *", () => {
    expect(readFileSync(new URL("index.ts", DIR), "utf8")).not.to.match(/export \*/);
  });
});
