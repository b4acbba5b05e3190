// `npm test`: every suite of the project, one after the other, with one summary line at the end.
// Suites: Solidity fuzz/invariant tests, contract tests (mocha + ethers on Hardhat's EVM), node tests (mocha),
// end-to-end tests (devnet, guides), trainer tests (pytest). Prints `N passed, N failed` last; exits non-zero when anything failed or a suite crashed.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { ensureSystemDeps, PYTHON } from "./system-deps.mjs";

const bin = (name) => `node_modules/.bin/${name}`;

const SUITES = [
  { name: "solidity", cmd: bin("hardhat"), args: ["test", "solidity"] },
  { name: "contracts", cmd: bin("hardhat"), args: ["test", "mocha"] },
  {
    name: "node",
    cmd: bin("mocha"),
    // 20 s per test: a guard against hangs, not a speed check; the shared CI machine can be slow.
    args: ["--import=tsx", "--timeout", "20000", "test/node/**/*.test.ts"],
    when: () => hasFiles("test/node"),
    before: ensureSystemDeps,
  },
  {
    // End to end: `npm start`'s devnet and the user guides, each command really run (minutes, not seconds).
    name: "e2e",
    cmd: bin("mocha"),
    args: ["--import=tsx", "--timeout", "1200000", "test/e2e/**/*.test.ts"],
    when: () => hasFiles("test/e2e"),
    before: ensureSystemDeps,
  },
  {
    name: "trainer",
    cmd: PYTHON,
    args: ["-m", "pytest", "-q", "-p", "no:cacheprovider", "trainer/tests"],
    when: () => hasFiles("trainer/tests"),
    before: ensureSystemDeps,
  },
];

function hasFiles(dir) {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((f) => /\.(test\.ts|py)$/.test(String(f)));
}

/** Counts from a runner's closing lines: mocha's `N passing` / `N failing`, pytest's `N passed` / `N failed`. */
function countResults(output) {
  const last = (re) => {
    const all = [...output.matchAll(re)];
    return all.length ? Number(all[all.length - 1][1]) : 0;
  };
  return {
    passed: last(/(\d+) passing/g) + last(/(\d+) passed/g),
    failed: last(/(\d+) failing/g) + last(/(\d+) failed/g) + last(/(\d+) errors?\b/g),
  };
}

function runSuite(suite) {
  return new Promise((resolve) => {
    const child = spawn(suite.cmd, suite.args, { env: { ...process.env, FORCE_COLOR: "0" } });
    let output = "";
    const keep = (chunk, stream) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on("data", (c) => keep(c, process.stdout));
    child.stderr.on("data", (c) => keep(c, process.stderr));
    child.on("error", (err) => resolve({ ...countResults(output), code: 1, error: err.message }));
    child.on("close", (code) => resolve({ ...countResults(output), code: code ?? 1 }));
  });
}

const only = process.argv.slice(2);
let passed = 0;
let failed = 0;
const problems = [];
for (const suite of SUITES) {
  if (only.length && !only.includes(suite.name)) continue;
  if (suite.when && !suite.when()) continue;
  console.log(`\n=== ${suite.name} tests: ${suite.cmd} ${suite.args.join(" ")}`);
  try {
    suite.before?.();
  } catch (err) {
    problems.push(`${suite.name}: ${err.message}`);
    failed += 1;
    continue;
  }
  const result = await runSuite(suite);
  passed += result.passed;
  failed += result.failed;
  if (result.code !== 0 && result.failed === 0) {
    problems.push(
      `${suite.name}: exited ${result.code}${result.error ? ` (${result.error})` : ""} with no failing test counted`,
    );
    failed += 1;
  }
  console.log(`=== ${suite.name}: ${result.passed} passed, ${result.failed} failed`);
}
for (const problem of problems) console.log(`problem: ${problem}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
