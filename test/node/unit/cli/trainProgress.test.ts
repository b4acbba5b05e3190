import { expect } from "chai";
import { ProgressPrinter } from "../../../../node/src/cli/commands/trainProgress.js";
import type { CommandContext } from "../../../../node/src/cli/index.js";
import { parseTrainerMessage, type TrainerEvent } from "../../../../node/src/trainer/index.js";

const HEAD = `0x${"11".repeat(32)}`;
const step = (n: number): TrainerEvent =>
  parseTrainerMessage(
    JSON.stringify({ type: "progress", phase: "train", step: n, steps: 4, loss: 2 - n / 4, tokensPerSecond: 50 }),
  );
const checkpoint = (k: number): TrainerEvent =>
  parseTrainerMessage(
    JSON.stringify({
      type: "checkpoint",
      k,
      head: HEAD,
      prevHead: HEAD,
      weightsHash: HEAD,
      stateHash: HEAD,
      batchHash: HEAD,
      lossBits: 1065353216,
      loss: 1,
    }),
  );

/** A run of 4 steps with a checkpoint every 2, through a printer on the given streams. */
function print(opts: { tty: boolean; json: boolean }): { stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const context = {
    io: {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { isTTY: opts.tty, write: (chunk: string) => (stderr += chunk) },
      env: {},
      cwd: "/",
    },
    args: { options: {}, positionals: [], configArgv: [] },
    json: opts.json,
  } as CommandContext;
  const printer = new ProgressPrinter(context);
  printer.line("committing");
  for (const event of [step(1), step(2), checkpoint(1), step(3), step(4), checkpoint(2)]) printer.event(event);
  printer.done();
  printer.line("submitted");
  return { stdout, stderr };
}

describe("cli: olnode train's progress", () => {
  it("redraws one bar in place on a terminal, and ends it with a newline before the next line", () => {
    const { stdout, stderr } = print({ tty: true, json: false });
    expect(stdout).to.equal("");
    const frames = stderr.split("\r");
    expect(frames[0]).to.equal("committing\n");
    expect(frames.slice(1).map((f) => f.match(/\] (\d)\/4/)?.[1])).to.deep.equal(["1", "2", "3", "4"]);
    expect(stderr).to.match(/\] 4\/4 100% {2}loss 1\.0000[^\n\r]*\nsubmitted\n$/);
  });

  it("prints a plain line per checkpoint when stderr is not a terminal", () => {
    const { stdout, stderr } = print({ tty: false, json: false });
    expect(stdout).to.equal("");
    expect(stderr).to.not.contain("\r");
    const lines = stderr.trimEnd().split("\n");
    expect(lines).to.have.length(4);
    expect(lines[0]).to.equal("committing");
    expect(lines[1]).to.match(/^\[={15}> {14}\] 2\/4 {2}50% {2}loss 1\.5000/);
    expect(lines[2]).to.match(/^\[={30}\] 4\/4 100% {2}loss 1\.0000/);
    expect(lines[3]).to.equal("submitted");
  });

  it("writes JSON lines on stdout with --json, and nothing on stderr", () => {
    const { stdout, stderr } = print({ tty: true, json: true });
    expect(stderr).to.equal("");
    const lines = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).to.deep.equal({ type: "step", message: "committing" });
    expect(lines.filter((l) => l.phase === "train").map((l) => l.step)).to.deep.equal([1, 2, 3, 4]);
    expect(lines.at(-1)).to.deep.equal({ type: "step", message: "submitted" });
  });
});
