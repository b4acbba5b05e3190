import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect } from "chai";

const SRC = join(import.meta.dirname, "../../../../node/src");

describe("api and inference boundaries", () => {
  for (const module of ["api", "inference"]) {
    it(`${module} imports other modules of node/src only through their index, and never console`, () => {
      let outside = 0;
      for (const name of readdirSync(join(SRC, module)).filter((n) => n.endsWith(".ts"))) {
        const file = join(SRC, module, name);
        const text = readFileSync(file, "utf8");
        expect(text, file).to.not.match(/\bconsole\./);
        for (const match of text.matchAll(/from "(\.[^"]+)"/g)) {
          const target = relative(SRC, resolve(dirname(file), match[1] as string));
          if (target.startsWith(`${module}/`)) continue;
          outside++;
          expect(target, `${file} imports ${match[1]}`).to.match(/^[a-zA-Z]+\/index\.js$/);
        }
      }
      expect(outside).to.be.greaterThan(0);
    });
  }
});
