import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { expect } from "chai";
import { loadOrCreatePeerKey, P2pError, P2pErrorCode } from "../../../../node/src/p2p/index.js";
import { expectRejectedWithCode } from "./helpers.js";

describe("p2p/loadOrCreatePeerKey: the node's persistent libp2p identity", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "olp-peer-key-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("creates an Ed25519 key in a missing file (and its folder), readable by the owner only", async () => {
    const path = join(dir, "nested", "peer.key");
    const key = await loadOrCreatePeerKey(path);
    expect(key.type).to.equal("Ed25519");
    expect(statSync(path).mode & 0o777).to.equal(0o600);
  });

  it("loads the same key, hence the same peer id, on the next start", async () => {
    const path = join(dir, "peer.key");
    const first = peerIdFromPrivateKey(await loadOrCreatePeerKey(path));
    const bytes = readFileSync(path);
    const second = peerIdFromPrivateKey(await loadOrCreatePeerKey(path));
    expect(second.toString()).to.equal(first.toString());
    expect(readFileSync(path)).to.deep.equal(bytes);
  });

  it("gives two files two identities", async () => {
    const a = peerIdFromPrivateKey(await loadOrCreatePeerKey(join(dir, "a.key")));
    const b = peerIdFromPrivateKey(await loadOrCreatePeerKey(join(dir, "b.key")));
    expect(a.toString()).to.not.equal(b.toString());
  });

  it("refuses a file that is not a key, and leaves it as it was", async () => {
    const path = join(dir, "peer.key");
    writeFileSync(path, "not a key");
    await expectRejectedWithCode(() => loadOrCreatePeerKey(path), P2pError, P2pErrorCode.PEER_KEY_INVALID, { path });
    expect(readFileSync(path, "utf8")).to.equal("not a key");
  });
});
