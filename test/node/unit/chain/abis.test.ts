import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import * as abis from "../../../../node/src/chain/abi/index.js";
import {
  ABI_CONTRACTS,
  ABI_DIR,
  abiConstName,
  generateAbiSources,
  missingArtifacts,
  REPO_ROOT,
} from "../../../../scripts/gen-abis.js";

describe("chain/abi (typed ABIs generated from the Hardhat artifacts)", () => {
  it("commits one file per contract and an index, nothing else", () => {
    const expected = [...ABI_CONTRACTS.map((name) => `${abiConstName(name)}.ts`), "index.ts"].sort();
    expect(readdirSync(join(REPO_ROOT, ABI_DIR)).sort()).to.deep.equal(expected);
  });

  it("re-exports every ABI by name from index.ts", () => {
    expect(Object.keys(abis).sort()).to.deep.equal(ABI_CONTRACTS.map(abiConstName).sort());
  });

  it("matches the artifacts byte for byte (rerun `npm run build` when this fails)", function () {
    const missing = missingArtifacts();
    if (missing.length > 0) {
      // Unit tests never compile; CI compiles before it tests, so there this never skips. The reason shows as the
      // pending test's title.
      if (this.test)
        this.test.title += ` (skipped: no Hardhat artifacts at ${missing.join(", ")}; run hardhat compile)`;
      this.skip();
    }
    for (const [path, source] of generateAbiSources()) {
      const committed = existsSync(join(REPO_ROOT, path)) ? readFileSync(join(REPO_ROOT, path), "utf8") : "";
      expect(committed, `${path} drifted from its artifact`).to.equal(source);
    }
  });

  it("carries the functions the SDK calls, with their exact parameter types", () => {
    const inputs = (
      abi: readonly { type: string; name?: string; inputs?: readonly { type: string }[] }[],
      name: string,
    ) => abi.find((item) => item.type === "function" && item.name === name)?.inputs?.map((input) => input.type);
    expect(inputs(abis.paymentEscrowAbi, "authorizeSigner")).to.deep.equal(["address", "uint256", "uint256", "bytes"]);
    expect(inputs(abis.paymentEscrowAbi, "depositWithPermit")).to.deep.equal([
      "address",
      "uint256",
      "uint256",
      "uint8",
      "bytes32",
      "bytes32",
    ]);
    expect(inputs(abis.settlementAbi, "redeem")).to.deep.equal(["tuple", "bytes"]);
    expect(inputs(abis.openTokenAbi, "nonces")).to.deep.equal(["address"]);
  });
});
