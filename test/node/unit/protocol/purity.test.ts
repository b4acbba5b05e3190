import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const PROTOCOL_DIR = fileURLToPath(new URL("../../../../node/src/protocol/", import.meta.url));
const files = readdirSync(PROTOCOL_DIR).filter((f) => f.endsWith(".ts"));

/** What protocol/ may import: pure libraries and its own files. No I/O, no clock, no randomness (STYLE). */
const ALLOWED_IMPORTS = [/^viem$/, /^@openzeppelin\/merkle-tree$/, /^\.\/[a-zA-Z]+\.js$/];
/** Globals that read the machine, the clock or chance. */
const IMPURE = /\b(Date|Math\.random|crypto|process|performance|fetch|setTimeout|setInterval|require)\b/;

describe("protocol/ purity", () => {
  for (const file of files) {
    const source = readFileSync(`${PROTOCOL_DIR}${file}`, "utf8");

    it(`${file} imports only viem, @openzeppelin/merkle-tree and protocol files`, () => {
      for (const [, specifier] of source.matchAll(/\bfrom\s+"([^"]+)"/g)) {
        expect(
          ALLOWED_IMPORTS.some((re) => re.test(specifier ?? "")),
          `${file}: ${specifier}`,
        ).to.equal(true);
      }
    });

    it(`${file} uses no clock, randomness or process state`, () => {
      const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(IMPURE.exec(code)?.[0], file).to.equal(undefined);
    });
  }

  it("index.ts re-exports by name, never with export *", () => {
    const index = readFileSync(`${PROTOCOL_DIR}index.ts`, "utf8");
    expect(index).not.to.match(/export \*/);
  });

  it("runs on the Unicode tables DESIGN §4 pins (Node 22's Unicode 17.0: a change is a protocol version change)", () => {
    // normalize's NFC and the unassigned-code-point rule read these tables.
    expect(process.versions.unicode).to.equal("17.0");
  });
});
