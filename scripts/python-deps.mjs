// Makes sure the Python side (trainer) has what it needs: PyTorch, pycryptodome (keccak) and pytest from Debian.
// PyPI is unreachable on these machines, so Debian's packages are the only source; on a fresh machine running as
// root this installs them, elsewhere it says which command to run.
import { spawnSync } from "node:child_process";

export const PYTHON = process.env.OLP_PYTHON ?? "/usr/bin/python3";
const DEBIAN_PACKAGES = ["python3-torch", "python3-pycryptodome", "python3-pytest", "python3-numpy"];
const PROBE = "import torch, Cryptodome.Hash.keccak, pytest, numpy";

function pythonHasDeps() {
  return spawnSync(PYTHON, ["-c", PROBE], { stdio: "ignore" }).status === 0;
}

/** Installs the Debian packages the trainer needs when they are missing; throws with the fix when it cannot. */
export function ensurePythonDeps() {
  if (pythonHasDeps()) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const install = `apt-get update && apt-get install -y ${DEBIAN_PACKAGES.join(" ")}`;
  if (!isRoot) {
    throw new Error(`${PYTHON} lacks PyTorch/pycryptodome/pytest; run as root: ${install}`);
  }
  console.error(`[setup] installing Debian packages for the trainer: ${DEBIAN_PACKAGES.join(", ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", ...DEBIAN_PACKAGES]]) {
    const result = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env });
    if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed (exit ${result.status}); run: ${install}`);
  }
  if (!pythonHasDeps()) throw new Error(`packages installed but '${PROBE}' still fails in ${PYTHON}`);
}
