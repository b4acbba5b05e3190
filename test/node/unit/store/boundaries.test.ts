import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect } from "chai";
import { Bucket, getBucketName } from "../../../../node/src/store/index.js";

const STORE_DIR = join(import.meta.dirname, "../../../../node/src/store");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("store boundaries", () => {
  it("never calls clear(): state changes delete keys inside atomic batches (THREATS #50)", () => {
    const files = sourceFiles(STORE_DIR);
    expect(files.length).to.be.greaterThan(10);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text, file).to.not.match(/\.clear\s*\(/);
      expect(text, file).to.not.match(/\brepair\b\s*\(/);
    }
  });

  it("writes only through Database.write, never level's put, del or batch elsewhere", () => {
    for (const file of sourceFiles(STORE_DIR)) {
      if (file.endsWith("database.ts")) continue;
      const text = readFileSync(file, "utf8");
      expect(text, file).to.not.match(/\blevel\.(put|del|batch)\s*\(/);
      expect(text, file).to.not.match(/from "level"/);
    }
  });

  it("keeps the bucket numbers as released: append-only, never renumbered", () => {
    // A changed number here is a changed database format: add a bucket at the next number instead.
    expect({ ...Bucket }).to.deep.include({
      meta: 0,
      records: 1,
      receipts: 2,
      lanes: 3,
      laneSeqIndex: 4,
      equivocations: 5,
      adapters: 6,
      epochPools: 7,
      epochRedemptions: 8,
      challenges: 9,
      challengesBySubject: 10,
      chainCursor: 11,
    });
    expect(getBucketName(Bucket.laneSeqIndex)).to.equal("laneSeqIndex");
  });

  it("imports other modules of node/src only through their index", () => {
    const src = join(STORE_DIR, "..");
    let outside = 0;
    for (const file of sourceFiles(STORE_DIR)) {
      for (const match of readFileSync(file, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
        const target = relative(src, resolve(dirname(file), match[1] as string));
        if (target.startsWith("store/")) continue;
        outside++;
        expect(target, `${file} imports ${match[1]}`).to.match(/^[a-zA-Z]+\/index\.js$/);
      }
    }
    expect(outside).to.be.greaterThan(0);
  });
});
