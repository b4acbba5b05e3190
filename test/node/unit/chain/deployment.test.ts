import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  type Deployment,
  DeploymentFileError,
  readDeployment,
  writeDeployment,
} from "../../../../node/src/chain/index.js";

const deployment: Deployment = {
  chainId: 31337,
  deployBlock: 12n,
  contracts: {
    openToken: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    datanetRegistry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    nodeRegistry: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    adapterRegistry: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
    arbiter: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
    paymentEscrow: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
    settlement: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
  },
};

describe("chain: deployment file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "olnode-deployment-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads back what it wrote, block numbers as decimal strings", async () => {
    const path = join(dir, "deployment.json");
    await writeDeployment(path, deployment);
    expect(await readDeployment(path)).to.deep.equal(deployment);
  });

  const broken: [string, unknown, RegExp][] = [
    [
      "a missing contract",
      { ...deployment, deployBlock: "12", contracts: { openToken: deployment.contracts.openToken } },
      /"contracts.datanetRegistry" must be an address/,
    ],
    [
      "an unknown key",
      { chainId: 1, deployBlock: "0", contracts: deployment.contracts, extra: 1 },
      /unknown key "extra"/,
    ],
    [
      "a block number as a number",
      { chainId: 1, deployBlock: 5, contracts: deployment.contracts },
      /"deployBlock" must be a decimal string/,
    ],
    [
      "a misspelt contract",
      {
        chainId: 1,
        deployBlock: "0",
        contracts: { ...deployment.contracts, setlement: deployment.contracts.settlement },
      },
      /unknown contract "contracts.setlement"/,
    ],
    [
      "a zero chain id",
      { chainId: 0, deployBlock: "0", contracts: deployment.contracts },
      /"chainId" must be a positive integer/,
    ],
  ];
  for (const [what, json, message] of broken) {
    it(`refuses a file with ${what}, naming the field`, async () => {
      const path = join(dir, "deployment.json");
      await writeFile(path, JSON.stringify(json));
      const error = await readDeployment(path).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DeploymentFileError);
      expect((error as Error).message)
        .to.match(message)
        .and.to.contain(path);
    });
  }

  it("refuses a file that is not JSON, and one that is missing", async () => {
    const path = join(dir, "deployment.json");
    await writeFile(path, "{nope");
    expect(((await readDeployment(path).catch((e: unknown) => e)) as Error).message).to.match(/not JSON/);
    expect(((await readDeployment(join(dir, "none.json")).catch((e: unknown) => e)) as Error).message).to.match(
      /cannot be read \(ENOENT\)/,
    );
  });
});
