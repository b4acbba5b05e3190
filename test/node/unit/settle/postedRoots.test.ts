import { rmSync, writeFileSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { keccak256, toHex } from "viem";
import { buildAttributionTree, getRecordsRoot } from "../../../../node/src/protocol/index.js";
import { PostedRoots, PostedState, SettleErrorCode } from "../../../../node/src/settle/index.js";

const NODE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

function message(epoch: bigint) {
  const leaves = [
    { datasetId: 1n, amount: 10n },
    { datasetId: 2n, amount: 5n },
  ];
  const recordIds = [keccak256(toHex("a")), keccak256(toHex("b"))].sort();
  return {
    node: NODE,
    versionId: 3n,
    epoch,
    root: buildAttributionTree(leaves).root,
    leaves,
    recordsRoot: getRecordsRoot(recordIds),
    recordIds,
  } as const;
}

describe("PostedRoots", () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<[PostedRoots, string]> {
    const dir = await mkdtemp(join(tmpdir(), "olp-posted-"));
    dirs.push(dir);
    return [await PostedRoots.open(dir), dir];
  }

  it("keeps what was posted, lists it by state, and moves it to final", async () => {
    const [roots, dir] = await open();
    await roots.put(message(7n));
    await roots.put(message(2n));
    expect(await roots.get(NODE, 3n, 7n)).to.deep.equal(message(7n));
    expect(await roots.get(NODE, 3n, 8n)).to.equal(undefined);
    expect((await roots.list(PostedState.POSTED, 10)).map((p) => p.epoch)).to.deep.equal([2n, 7n]);
    await roots.markFinal(NODE, 3n, 2n);
    expect((await roots.list(PostedState.POSTED, 10)).map((p) => p.epoch)).to.deep.equal([7n]);
    expect((await roots.list(PostedState.FINAL, 10)).map((p) => p.epoch)).to.deep.equal([2n]);
    expect(await roots.get(NODE, 3n, 2n)).to.deep.equal(message(2n));
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).to.deep.equal([]);
  });

  it("refuses a file that does not decode, naming it", async () => {
    const [roots, dir] = await open();
    await roots.put(message(1n));
    const [name] = await readdir(dir);
    writeFileSync(join(dir, name as string), Buffer.from("not a message"));
    let code: unknown;
    await roots.get(NODE, 3n, 1n).catch((err: { type?: { code?: unknown } }) => {
      code = err.type?.code;
    });
    expect(code).to.equal(SettleErrorCode.POSTED_CORRUPT);
  });
});
