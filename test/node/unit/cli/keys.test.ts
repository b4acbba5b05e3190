import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { privateKeyToAddress } from "viem/accounts";
import { olnode, tempDir } from "./helpers.js";

describe("cli: olnode keys", () => {
  let dir: string;
  let remove: () => Promise<void>;
  const operatorFile = () => join(dir, "olnode-data", "keys", "operator-key.json");
  const peerFile = () => join(dir, "olnode-data", "keys", "peer-key.json");
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => remove());

  it("generate writes both keys 0600 where the config says, printing the address and peer id, never a key", async () => {
    const { code, stdout, stderr } = await olnode(["keys", "generate"], { cwd: dir });
    expect(code, stderr).to.equal(0);
    const operator = JSON.parse(await readFile(operatorFile(), "utf8"));
    const peer = JSON.parse(await readFile(peerFile(), "utf8"));
    expect(operator.address).to.equal(privateKeyToAddress(operator.privateKey));
    expect(stdout).to.contain(`operator address  ${operator.address}`);
    expect(stdout).to.contain(`peer id           ${peer.peerId}`);
    expect(stdout).not.to.contain(operator.privateKey.slice(2));
    expect(stdout).not.to.contain(peer.privateKey);
    expect((await stat(operatorFile())).mode & 0o777).to.equal(0o600);
    expect((await stat(peerFile())).mode & 0o777).to.equal(0o600);
  });

  it("generate follows store.dir and the environment's key file paths", async () => {
    const env = { OLNODE_KEYS_OPERATOR_KEY_FILE: "secrets/op.json" };
    const { code, stdout } = await olnode(["keys", "generate", "--store.dir", "node-a", "--json"], { cwd: dir, env });
    expect(code).to.equal(0);
    const json = JSON.parse(stdout);
    expect(json.operator.file).to.equal(join(dir, "secrets", "op.json"));
    expect(json.peer.file).to.equal(join(dir, "node-a", "keys", "peer-key.json"));
    expect(json.operator.address).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(json.peer.peerId).to.match(/^12D3KooW/);
    expect(Object.keys(json.operator)).to.deep.equal(["address", "file"]);
  });

  it("generate --peer writes only the peer key", async () => {
    const { code, stdout } = await olnode(["keys", "generate", "--peer", "--json"], { cwd: dir });
    expect(code).to.equal(0);
    expect(Object.keys(JSON.parse(stdout))).to.deep.equal(["peer"]);
    let missing = false;
    await stat(operatorFile()).catch(() => {
      missing = true;
    });
    expect(missing).to.equal(true);
  });

  it("generate refuses to overwrite, exit 1, and writes neither key when one exists", async () => {
    await olnode(["keys", "generate", "--peer"], { cwd: dir });
    const before = await readFile(peerFile(), "utf8");
    const { code, stdout, stderr } = await olnode(["keys", "generate"], { cwd: dir });
    expect(code).to.equal(1);
    expect(stdout).to.equal("");
    expect(stderr).to.contain(`a file is already at ${peerFile()}: keys are never overwritten`);
    expect(await readFile(peerFile(), "utf8")).to.equal(before);
    let missing = false;
    await stat(operatorFile()).catch(() => {
      missing = true;
    });
    expect(missing, "the operator key was not written").to.equal(true);
  });

  it("generate refuses a key file path given as a flag (a secret), exit 2", async () => {
    const { code, stderr } = await olnode(["keys", "generate", "--keys.operatorKeyFile", "x.json"], { cwd: dir });
    expect(code).to.equal(2);
    expect(stderr).to.contain("keys.operatorKeyFile cannot be a flag");
  });

  it("show prints what generate printed", async () => {
    const generated = JSON.parse((await olnode(["keys", "generate", "--json"], { cwd: dir })).stdout);
    const shown = await olnode(["keys", "show", "--json"], { cwd: dir });
    expect(shown.code).to.equal(0);
    expect(shown.stderr).to.equal("");
    expect(JSON.parse(shown.stdout)).to.deep.equal(generated);
    const text = await olnode(["keys", "show", "--operator"], { cwd: dir });
    expect(text.stdout).to.equal(`operator address  ${generated.operator.address}\n`);
  });

  it("show warns when others can read a key file", async () => {
    await olnode(["keys", "generate"], { cwd: dir });
    await chmod(peerFile(), 0o644);
    const { code, stderr } = await olnode(["keys", "show"], { cwd: dir });
    expect(code).to.equal(0);
    expect(stderr).to.equal(`warning: ${peerFile()} can be read by others (mode 0644); run: chmod 600 ${peerFile()}\n`);
  });

  it("show exits 1 with how to create a missing key", async () => {
    const { code, stderr } = await olnode(["keys", "show"], { cwd: dir });
    expect(code).to.equal(1);
    expect(stderr).to.equal(`olnode: no key file at ${operatorFile()}; create one with: olnode keys generate\n`);
  });

  it("show exits 1 on an edited key file, naming the field", async () => {
    await olnode(["keys", "generate"], { cwd: dir });
    const json = JSON.parse(await readFile(operatorFile(), "utf8"));
    await writeFile(operatorFile(), JSON.stringify({ ...json, address: "0x0000000000000000000000000000000000000001" }));
    const { code, stderr } = await olnode(["keys", "show", "--json"], { cwd: dir });
    expect(code).to.equal(1);
    const error = JSON.parse(stderr).error;
    expect(error.code).to.equal("KEY_FILE_ERROR_MISMATCH");
    expect(error.context.field).to.equal("address");
    expect(stderr).not.to.contain(json.privateKey.slice(2));
  });
});
