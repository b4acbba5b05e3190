import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type Hex, keccak256, zeroHash } from "viem";
import { ReqRespError, ReqRespErrorCode, ResponseStatus } from "../../../node/src/p2p/index.js";
import { getDatasetRoot, hashSample } from "../../../node/src/protocol/index.js";
import {
  ArtifactStore,
  createCheckpointHandler,
  DatasetStore,
  DEFAULT_TRAINER_DIR,
  decodeCheckpoint,
} from "../../../node/src/trainer/index.js";
import { expectRejectedWithCode } from "../unit/p2p/helpers.js";
import { startNode, type TestNode } from "./p2pHelpers.js";

/** Bytes that differ at every position, so a chunk out of place shows. */
function pattern(length: number, salt: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + salt + (i >> 8)) & 0xff;
  return bytes;
}

describe("trainer: checkpoints and samples served over /olp/req/*/1 from the node's stores (real libp2p)", function () {
  this.timeout(30_000);

  let dir: string;
  let server: TestNode;
  let client: TestNode;
  const weights = pattern(5 * 1024 * 1024 + 17, 1); // more than one 4 MiB page
  const state = pattern(70_000, 2);
  let datasetRoot: Hex;
  let datasetFile: Uint8Array;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "olnode-train-checkpoints-"));
    const artifacts = new ArtifactStore({ dir: join(dir, "artifacts") });
    const job = artifacts.commitmentDir(7n);
    for (const k of [0, 1]) {
      const folder = join(job, "run", "checkpoints", String(k));
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, "weights.safetensors"), k === 1 ? weights : pattern(100, 3));
      await writeFile(join(folder, "state.safetensors"), k === 1 ? state : pattern(100, 4));
    }
    await writeFile(join(job, "job.json"), "{}\n");
    const proof = {
      contributorsRoot: zeroHash,
      weightsHash: zeroHash,
      checkpointRoot: zeroHash,
      finalHead: zeroHash,
      initialWeightsHash: zeroHash,
      initialStateHash: zeroHash,
      checkpointCount: 1,
      evalScore: 0,
    };
    await artifacts.promote({ versionId: 3n, commitmentId: 7n, proof, txHash: zeroHash });
    const datasets = new DatasetStore({ dir: join(dir, "datasets") });
    datasetFile = new Uint8Array(await readFile(join(DEFAULT_TRAINER_DIR, "data", "advertise", "ads-1.jsonl")));
    ({ root: datasetRoot } = await datasets.put(datasetFile));

    server = await startNode(dir, "server", {
      handlers: {
        getCheckpoint: createCheckpointHandler(artifacts),
        getSamples: (root, startIndex, count) => datasets.getSamples(root, startIndex, count),
      },
    });
    client = await startNode(dir, "client");
    const [address = ""] = server.network.getMultiaddrs();
    await client.network.connect(address);
  });

  after(async () => {
    await client?.network.close();
    await server?.network.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves a stored checkpoint in pages that reassemble to its weights and state files", async () => {
    const parts: Uint8Array[] = [];
    let offset = 0n;
    let total = -1n;
    while (offset !== total) {
      const page = await client.network.requestCheckpoint(server.network.peerId, 3n, 1n, offset);
      total = page.totalBytes;
      parts.push(page.data);
      offset += BigInt(page.data.length);
    }
    expect(parts.length).to.equal(2);
    const checkpoint = decodeCheckpoint(Buffer.concat(parts));
    expect(Buffer.from(checkpoint.weights).equals(Buffer.from(weights))).to.equal(true);
    expect(Buffer.from(checkpoint.state).equals(Buffer.from(state))).to.equal(true);
  });

  it("answers RESOURCE_UNAVAILABLE for a step or version the node does not hold", async () => {
    for (const [versionId, step] of [
      [3n, 2n],
      [4n, 0n],
    ] as const) {
      await expectRejectedWithCode(
        () => client.network.requestCheckpoint(server.network.peerId, versionId, step, 0n),
        ReqRespError,
        ReqRespErrorCode.ERROR_RESPONSE,
        { status: ResponseStatus.RESOURCE_UNAVAILABLE },
      );
    }
  });

  it("serves a dataset's samples by root, each a leaf of that root", async () => {
    const samples = await client.network.requestSamples(server.network.peerId, datasetRoot, 0n, 1024);
    expect(samples.length).to.be.greaterThan(100);
    expect(getDatasetRoot(samples.map((s) => hashSample(s.text)))).to.equal(datasetRoot);
    await expectRejectedWithCode(
      () => client.network.requestSamples(server.network.peerId, keccak256("0x01"), 0n, 1),
      ReqRespError,
      ReqRespErrorCode.ERROR_RESPONSE,
      { status: ResponseStatus.RESOURCE_UNAVAILABLE },
    );
  });
});
