import { createRequire } from "node:module";
import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/** Hardhat cannot download solc on these machines: the compiler comes from the npm `solc` package (DESIGN §2). */
const solcPath = require.resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin],
  solidity: {
    version: "0.8.30",
    path: solcPath,
    settings: {
      // 10k runs: the user-facing functions (redeem, claim) run far more often than deployment.
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "cancun",
    },
  },
  paths: {
    // Node tests run through their own command (scripts/test.mjs); Hardhat only sees the contract tests.
    tests: { mocha: "test/contracts", solidity: "test/contracts" },
  },
  networks: {
    // Large block gas limit stays at the default; allowUnlimitedContractSize stays off so size limits are real.
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
  },
});
