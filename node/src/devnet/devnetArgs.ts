import { resolve } from "node:path";
import type { DevnetOptions } from "./devnet.js";

/** `npm start -- …` as parsed: the devnet's options, and whether to exit after the report. */
export interface DevnetArgs {
  readonly help: boolean;
  readonly once: boolean;
  readonly options: Partial<DevnetOptions>;
}

export const DEVNET_HELP = `Usage: npm start [-- options]

Runs the whole protocol on this machine and prints what happened, step by step:
  a Hardhat chain on 127.0.0.1 and the Ignition deployment; two datanets and three contributors' shipped datasets
  registered with \`olnode dataset add\`; a copycat's disguised copy caught by a duplicate proof; four nodes staked;
  a QLoRA adapter trained on CPU by \`olnode train\` (progress bar) and activated after its challenge window; three
  nodes and an auditor started on loopback; a dapp paying for inferences through the SDK; records gossiped to every
  node; lanes redeemed, attribution roots posted, audited and claimed by the dataset owners. Then a report: every
  party's balance change, the burn, attribution per dataset with example spans, gas. Node A's explorer stays up at
  the printed URL until Ctrl-C.

The built-in base model is made once (about two minutes) and cached in .olnode/devnet/models.

Options:
  --once               exit after the report instead of serving the explorer
  --steps N            training steps (default 100; a multiple of --checkpoint-interval)
  --checkpoint-interval K   steps per proof-of-training segment (default 20)
  --batch-size N       samples per training step (default 8)
  --inferences N       paid inferences (default 300)
  --eval-samples N     held-out samples scored after training (default 4; 0: none)
  --model DIR          a base model folder instead of the built-in one
  --dir DIR            keep the run's folders here (default: a new temporary folder)
  --help               show this text`;

const NUMBER_FLAGS = {
  "--steps": "steps",
  "--checkpoint-interval": "checkpointInterval",
  "--batch-size": "batchSize",
  "--inferences": "inferences",
  "--eval-samples": "evalSamples",
} as const satisfies Record<string, keyof DevnetOptions>;

/**
 * Parses `npm start`'s arguments (after `--`). Unknown flags and bad values are errors naming the flag.
 */
export function parseDevnetArgs(argv: readonly string[], cwd: string): DevnetArgs {
  const options: Record<string, unknown> = {};
  let help = false;
  let once = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (arg === "--once") {
      once = true;
      continue;
    }
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value (see --help)`);
      return v;
    };
    if (flag in NUMBER_FLAGS) {
      const text = value();
      if (!/^[0-9]{1,9}$/.test(text)) throw new Error(`${flag} must be a whole number, found ${JSON.stringify(text)}`);
      options[NUMBER_FLAGS[flag as keyof typeof NUMBER_FLAGS]] = Number(text);
    } else if (flag === "--model") {
      options.modelDir = resolve(cwd, value());
    } else if (flag === "--dir") {
      options.dir = resolve(cwd, value());
    } else {
      throw new Error(`unknown argument ${arg} (see --help)`);
    }
  }
  return { help, once, options: options as Partial<DevnetOptions> };
}
