import { join } from "node:path";
import { adapterRegistryAbi } from "../../chain/index.js";
import { getVersionProof, type SegmentVerification, TrainerService } from "../../trainer/index.js";
import { CliError, type Command, type CommandContext, ExitCode, writeJson } from "../command.js";
import { reportError } from "../report.js";
import { parseId } from "./dataset.js";
import { openChainSession } from "./session.js";

/** `olnode verify`'s exit codes: the segment re-runs to the registered checkpoint (0), or it does not (1), or no answer (2). */
export const VerifyExitCode = {
  MATCH: ExitCode.OK,
  MISMATCH: ExitCode.USER_ERROR,
  ERROR: ExitCode.USAGE_ERROR,
} as const;

/** `olnode verify <versionId> <segment>`. */
export const verifyCommand: Command = {
  path: ["verify"],
  summary: "re-run one segment of a version's training and compare it with its proof on chain",
  description: [
    "Checks segment k of a registered version's proof of training (DESIGN §7): reads the version's checkpoint root",
    "from AdapterRegistry, takes checkpoints k−1 and k from this node's artifact store",
    "(<store.dir>/trainer/versions/<versionId>), checks their hashes against the chain of heads and the chain of",
    "heads against the registered root, then re-runs the segment's batches from checkpoint k−1 with the Python",
    "trainer and compares the result with checkpoint k (bitwise on CPU).",
    "Exit status: 0 match, 1 mismatch (the failed checks are printed), 2 the check could not be made.",
  ].join("\n"),
  positionals: [
    { name: "versionId", description: "the adapter version (from 1)" },
    { name: "segment", description: "k, from 1 to the version's checkpoint count" },
  ],
  options: {
    config: { type: "string", valueName: "<path>", description: "node config file (JSON); default: $OLNODE_CONFIG" },
  },
  configFlags: true,
  examples: ["olnode verify 1 3", "olnode verify 12 1 --json"],
  async run(context) {
    try {
      const result = await verifySegment(context);
      printVerification(context, result);
      return result.match ? VerifyExitCode.MATCH : VerifyExitCode.MISMATCH;
    } catch (err) {
      reportError(err, context.io, context.json, verifyCommand);
      return VerifyExitCode.ERROR;
    }
  },
};

async function verifySegment(context: CommandContext): Promise<SegmentVerification & { versionId: bigint }> {
  const [versionText, segmentText] = context.args.positionals as [string, string];
  const versionId = parseId(versionText, "<versionId>");
  if (!/^[1-9][0-9]{0,8}$/.test(segmentText)) {
    throw new CliError(
      `<segment> must be a whole number from 1, found ${JSON.stringify(segmentText)}`,
      ExitCode.USAGE_ERROR,
      "CLI_ERROR_FLAG_VALUE",
    );
  }
  const segment = Number(segmentText);
  const nodeConfigPath = typeof context.args.options.config === "string" ? context.args.options.config : undefined;
  const session = await openChainSession(context, { readOnly: true, nodeConfigPath });
  const { adapterRegistry } = session.deployment.contracts;
  const versionCount = await session.publicClient.readContract({
    address: adapterRegistry,
    abi: adapterRegistryAbi,
    functionName: "versionCount",
  });
  if (versionId > versionCount) {
    throw new CliError(
      `unknown version ${versionId}: the registry has ${versionCount === 0n ? "none" : `versions 1 to ${versionCount}`}`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_UNKNOWN_VERSION",
    );
  }
  const proof = await getVersionProof(session.publicClient, { adapterRegistry, versionId });
  if (segment > proof.checkpointCount) {
    throw new CliError(
      `version ${versionId} has segments 1 to ${proof.checkpointCount}, not ${segment}`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_SEGMENT_OUT_OF_RANGE",
    );
  }
  const service = new TrainerService({
    artifactsDir: join(session.storeDir, "trainer"),
    python: session.config.trainer.pythonPath,
  });
  try {
    if ((await service.store.readVersion(versionId)) === null) {
      throw new CliError(
        `this node holds no checkpoints of version ${versionId} (looked in ${service.store.versionDir(versionId)})`,
        ExitCode.USER_ERROR,
        "CLI_ERROR_CHECKPOINTS_NOT_HELD",
      );
    }
    // The root is the registry's, never the one stored beside the artifacts: those are what is being checked.
    const result = await service.verifySegment(versionId, segment, { root: proof.checkpointRoot });
    return { ...result, versionId };
  } finally {
    await service.close();
  }
}

function printVerification(context: CommandContext, r: SegmentVerification & { versionId: bigint }): void {
  if (context.json) {
    writeJson(context.io.stdout, r);
    return;
  }
  const lines = [`version ${r.versionId} segment ${r.segment}: ${r.match ? "match" : "MISMATCH"}`];
  for (const check of r.checks) {
    const detail = check.ok ? "" : `  expected ${String(check.expected)}, found ${String(check.found)}`;
    lines.push(`  ${check.ok ? "ok  " : "FAIL"}  ${check.check}${detail}`);
  }
  context.io.stdout.write(`${lines.join("\n")}\n`);
}
