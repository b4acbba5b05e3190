import { readdirSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const SRC = fileURLToPath(new URL("../../../../node/src/", import.meta.url));
/** The modules this suite watches: the node's foundations. */
const MODULES = ["config", "logger", "metrics", "cli"];

function sourceFiles(module: string): string[] {
  return readdirSync(`${SRC}${module}`, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => `${module}/${file}`);
}

describe("module boundaries of config, logger, metrics and cli (STYLE.md)", () => {
  for (const module of MODULES) {
    for (const file of sourceFiles(module)) {
      const source = readFileSync(`${SRC}${file}`, "utf8");

      it(`${file} imports other modules only through their index.ts`, () => {
        for (const [, specifier] of source.matchAll(/\bfrom\s+"(\.[^"]+)"/g)) {
          const target = relative(SRC, resolve(dirname(`${SRC}${file}`), specifier ?? ""));
          const targetModule = target.split("/")[0];
          if (targetModule === module) continue;
          expect(target, `${file} imports ${specifier}`).to.equal(`${targetModule}/index.js`);
        }
      });

      if (module !== "cli") {
        it(`${file} writes nothing through console (only the CLI prints)`, () => {
          const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
          expect(/\bconsole\./.test(code), file).to.equal(false);
        });
      }
    }

    it(`${module}/index.ts re-exports by name, never with export *`, () => {
      expect(readFileSync(`${SRC}${module}/index.ts`, "utf8")).not.to.match(/export \*/);
    });
  }
});
