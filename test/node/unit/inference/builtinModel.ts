import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DEFAULT_PYTHON, DEFAULT_TRAINER_DIR } from "../../../../node/src/trainer/index.js";

let made: Promise<string> | undefined;

/**
 * The trainer's built-in model, made once per test process (`make-model --pretrain-steps 0`: a seeded, untrained
 * model of the real architecture and tokenizer, a few seconds on CPU, offline).
 */
export function builtinModelDir(): Promise<string> {
  made ??= (async () => {
    const out = join(await mkdtemp(join(tmpdir(), "olnode-inference-")), "model");
    await promisify(execFile)(
      DEFAULT_PYTHON,
      ["-m", "olp_trainer", "make-model", "--out", out, "--pretrain-steps", "0"],
      {
        cwd: DEFAULT_TRAINER_DIR,
      },
    );
    return out;
  })();
  return made;
}
