import { readdirSync, readFileSync } from "node:fs";
import { expect } from "chai";

const VALIDATION_DIR = new URL("../../../../node/src/validation/", import.meta.url);
const files = readdirSync(VALIDATION_DIR).filter((f) => f.endsWith(".ts"));

/** validation/ depends on viem and on protocol/ through its index only (STYLE: modules import through index.ts). */
const ALLOWED = [/^viem$/, /^\.\.\/protocol\/index\.js$/, /^\.\/[a-zA-Z]+\.js$/];

describe("validation/ boundaries", () => {
  for (const file of files) {
    it(`${file} imports only viem, protocol/index.js and its own files`, () => {
      const source = readFileSync(new URL(file, VALIDATION_DIR), "utf8");
      for (const [, specifier] of source.matchAll(/\bfrom\s+"([^"]+)"/g)) {
        expect(
          ALLOWED.some((re) => re.test(specifier ?? "")),
          `${file}: ${specifier}`,
        ).to.equal(true);
      }
    });
  }

  it("index.ts re-exports by name, never with export *", () => {
    expect(readFileSync(new URL("index.ts", VALIDATION_DIR), "utf8")).not.to.match(/export \*/);
  });
});
