import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { privateKeyToAddress } from "viem/accounts";
import {
  generateOperatorKey,
  generatePeerKey,
  isKeyFileModeOpen,
  KeyFileError,
  KeyFileErrorCode,
  readOperatorKeyFile,
  readPeerKeyFile,
  writeOperatorKeyFile,
  writePeerKeyFile,
} from "../../../../node/src/config/index.js";

async function expectKeyFileError(promise: Promise<unknown>, code: KeyFileErrorCode): Promise<KeyFileError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "expected a KeyFileError").to.be.instanceOf(KeyFileError);
  expect((thrown as KeyFileError).type.code).to.equal(code);
  return thrown as KeyFileError;
}

describe("config: key files", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "olnode-keys-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes an operator key 0600 in a 0700 folder and reads it back", async () => {
    const key = generateOperatorKey();
    expect(key.address).to.equal(privateKeyToAddress(key.privateKey));
    const path = join(dir, "keys", "operator-key.json");
    await writeOperatorKeyFile(path, key);
    expect((await stat(path)).mode & 0o777).to.equal(0o600);
    expect((await stat(join(dir, "keys"))).mode & 0o777).to.equal(0o700);
    const read = await readOperatorKeyFile(path);
    expect(read.address).to.equal(key.address);
    expect(read.privateKey).to.equal(key.privateKey);
    expect(read.mode).to.equal(0o600);
  });

  it("writes a peer key 0600 and reads back the same peer id and key", async () => {
    const key = await generatePeerKey();
    const path = join(dir, "peer-key.json");
    await writePeerKeyFile(path, key);
    expect((await stat(path)).mode & 0o777).to.equal(0o600);
    const read = await readPeerKeyFile(path);
    expect(read.peerId.toString()).to.equal(key.peerId.toString());
    expect(read.privateKey.equals(key.privateKey)).to.equal(true);
    expect(key.peerId.type).to.equal("Ed25519");
  });

  it("never overwrites a file, and leaves it as it was", async () => {
    const path = join(dir, "operator-key.json");
    await writeFile(path, "precious");
    const err = await expectKeyFileError(
      writeOperatorKeyFile(path, generateOperatorKey()),
      KeyFileErrorCode.ALREADY_EXISTS,
    );
    expect(err.message).to.contain("never overwritten");
    expect(await readFile(path, "utf8")).to.equal("precious");
    await expectKeyFileError(writePeerKeyFile(path, await generatePeerKey()), KeyFileErrorCode.ALREADY_EXISTS);
  });

  it("says how to create a missing key file", async () => {
    const err = await expectKeyFileError(readOperatorKeyFile(join(dir, "none.json")), KeyFileErrorCode.NOT_FOUND);
    expect(err.message).to.contain("olnode keys generate");
  });

  it("refuses a peer key file given as the operator's, and the other way round", async () => {
    const peerPath = join(dir, "peer.json");
    const operatorPath = join(dir, "operator.json");
    await writePeerKeyFile(peerPath, await generatePeerKey());
    await writeOperatorKeyFile(operatorPath, generateOperatorKey());
    const err = await expectKeyFileError(readOperatorKeyFile(peerPath), KeyFileErrorCode.INVALID);
    expect(err.message).to.contain('expected kind "olnode-operator-key", found "olnode-peer-key"');
    await expectKeyFileError(readPeerKeyFile(operatorPath), KeyFileErrorCode.INVALID);
  });

  it("refuses an operator key file whose address is not its key's", async () => {
    const key = generateOperatorKey();
    const other = generateOperatorKey();
    const path = join(dir, "operator.json");
    await writeFile(
      path,
      JSON.stringify({ kind: "olnode-operator-key", version: 1, address: other.address, privateKey: key.privateKey }),
    );
    const err = await expectKeyFileError(readOperatorKeyFile(path), KeyFileErrorCode.MISMATCH);
    expect(err.type).to.deep.include({ field: "address", expected: key.address, found: other.address });
    expect(err.message).not.to.contain(key.privateKey.slice(2));
  });

  it("refuses a peer key file whose peer id is not its key's", async () => {
    const key = await generatePeerKey();
    const other = await generatePeerKey();
    const path = join(dir, "peer.json");
    await writePeerKeyFile(path, key);
    const json = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...json, peerId: other.peerId.toString() }));
    await expectKeyFileError(readPeerKeyFile(path), KeyFileErrorCode.MISMATCH);
  });

  it("refuses a key that is not 32 bytes, or not on the curve, without quoting it", async () => {
    const path = join(dir, "operator.json");
    const address = generateOperatorKey().address;
    await writeFile(path, JSON.stringify({ kind: "olnode-operator-key", version: 1, address, privateKey: "0x1234" }));
    await expectKeyFileError(readOperatorKeyFile(path), KeyFileErrorCode.INVALID);
    await writeFile(
      path,
      JSON.stringify({ kind: "olnode-operator-key", version: 1, address, privateKey: `0x${"ff".repeat(32)}` }),
    );
    const err = await expectKeyFileError(readOperatorKeyFile(path), KeyFileErrorCode.INVALID);
    expect(err.message).to.contain("not a valid secp256k1 key");
    expect(err.message).not.to.contain("ffff");
  });

  it("refuses a file that is not JSON without quoting its text (it holds a key)", async () => {
    const path = join(dir, "operator.json");
    const secret = "0xabcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    await writeFile(path, `{"privateKey": "${secret}"`);
    const err = await expectKeyFileError(readOperatorKeyFile(path), KeyFileErrorCode.INVALID);
    expect(err.message).to.equal(`key file ${path}: not JSON`);
  });

  it("refuses a key file of another version", async () => {
    const path = join(dir, "operator.json");
    const key = generateOperatorKey();
    await writeFile(path, JSON.stringify({ kind: "olnode-operator-key", version: 2, ...key }));
    await expectKeyFileError(readOperatorKeyFile(path), KeyFileErrorCode.INVALID);
  });

  it("reports a key file others can read", async () => {
    const path = join(dir, "operator.json");
    await writeOperatorKeyFile(path, generateOperatorKey());
    await chmod(path, 0o644);
    const read = await readOperatorKeyFile(path);
    expect(read.mode).to.equal(0o644);
    expect(isKeyFileModeOpen(read.mode)).to.equal(true);
    expect(isKeyFileModeOpen(0o600)).to.equal(false);
    expect(isKeyFileModeOpen(0o400)).to.equal(false);
  });
});
