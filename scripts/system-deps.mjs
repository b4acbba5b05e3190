// Makes sure the machine has the Debian packages the tests need: PyTorch, pycryptodome (keccak), pytest and numpy for
// the Python trainer (the node's tests run it too), and Chromium for the explorer's headless browser test. PyPI and
// browser downloads are unreachable on these machines, so Debian's packages are the only source; on a fresh machine
// running as root this installs them, elsewhere it says which command to run.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";

export const PYTHON = process.env.OLP_PYTHON ?? "/usr/bin/python3";
export const CHROMIUM = "/usr/bin/chromium";
const PYTHON_PACKAGES = ["python3-torch", "python3-pycryptodome", "python3-pytest", "python3-numpy"];
const PROBE = "import torch, Cryptodome.Hash.keccak, pytest, numpy";

function pythonHasDeps() {
  return spawnSync(PYTHON, ["-c", PROBE], { stdio: "ignore" }).status === 0;
}

/** The Debian packages still missing (the browser only when `browser`). */
function missingPackages(browser) {
  return [...(pythonHasDeps() ? [] : PYTHON_PACKAGES), ...(!browser || existsSync(CHROMIUM) ? [] : ["chromium"])];
}

/**
 * Installs the missing Debian packages (Chromium too unless `browser` is false: `npm start` needs only the
 * trainer's); throws with the command to run when it cannot.
 */
export function ensureSystemDeps(browser = true) {
  const missing = missingPackages(browser);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const install = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (!isRoot) throw new Error(`missing Debian packages ${missing.join(", ")}; run as root: ${install}`);
  console.error(`[setup] installing Debian packages the tests need: ${missing.join(", ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", ...missing]]) {
    const result = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env });
    if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed (exit ${result.status}); run: ${install}`);
  }
  const still = missingPackages(browser);
  if (still.length > 0) throw new Error(`installed, but still missing: ${still.join(", ")}`);
}

// `node scripts/system-deps.mjs [--no-browser]`: what `npm start` runs first.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    ensureSystemDeps(!process.argv.includes("--no-browser"));
  } catch (err) {
    console.error(`setup failed: ${err.message}`);
    process.exit(1);
  }
}
