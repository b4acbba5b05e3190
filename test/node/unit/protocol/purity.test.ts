import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const PROTOCOL_DIR = fileURLToPath(new URL("../../../../node/src/protocol/", import.meta.url));
const files = readdirSync(PROTOCOL_DIR, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".ts"));

/** What protocol/ may import: pure libraries (RFC 8785 `canonicalize` included) and its own files, never outside it. */
const ALLOWED_PACKAGES = [/^viem$/, /^@openzeppelin\/merkle-tree$/, /^canonicalize$/];
const isAllowed = (file: string, specifier: string) =>
  ALLOWED_PACKAGES.some((re) => re.test(specifier)) ||
  (specifier.startsWith(".") && resolve(dirname(`${PROTOCOL_DIR}${file}`), specifier).startsWith(PROTOCOL_DIR));
/** Globals that read the machine, the clock or chance. */
const IMPURE = /\b(Date|Math\.random|crypto|process|performance|fetch|setTimeout|setInterval|require)\b/;

describe("protocol/ purity", () => {
  for (const file of files) {
    const source = readFileSync(`${PROTOCOL_DIR}${file}`, "utf8");

    it(`${file} imports only viem, @openzeppelin/merkle-tree, canonicalize and protocol files`, () => {
      for (const [, specifier] of source.matchAll(/\bfrom\s+"([^"]+)"/g)) {
        expect(isAllowed(file, specifier ?? ""), `${file}: ${specifier}`).to.equal(true);
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
