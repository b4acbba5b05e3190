import { expect } from "chai";
import { Registry } from "prom-client";
import {
  createTrainerMetrics,
  PythonErrorCode,
  TrainerErrorCode,
  type TrainerEvent,
  type TrainerLogger,
  TrainerProcess,
} from "../../../../node/src/trainer/index.js";
import { expectRejectedWithCode, fakePython, trainResultJson } from "./helpers.js";

/** A logger that records what it was given. */
function recordingLogger(): TrainerLogger & { lines: { level: string; msg: string; ctx?: object }[] } {
  const lines: { level: string; msg: string; ctx?: object }[] = [];
  const at =
    (level: string) =>
    (msg: string, ctx?: object): void => {
      lines.push({ level, msg, ...(ctx === undefined ? {} : { ctx }) });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const progress = '{"type":"progress","phase":"train","step":1,"steps":8,"loss":6.8,"tokensPerSecond":100}';

describe("trainer/TrainerProcess (spawn, JSON lines, errors, abort)", function () {
  this.timeout(20_000);

  it("passes -m olp_trainer, the command and its arguments, with the trainer folder as cwd and on PYTHONPATH", async () => {
    const python = await fakePython(
      `printf '{"type":"result","command":"train","args":"%s","cwd":"%s","pythonpath":"%s"}\\n' "$*" "$(pwd)" "$PYTHONPATH"`,
    );
    const { result } = await new TrainerProcess({ python, trainerDir: "/tmp" }).run("train", ["--job", "/j/job.json"]);
    expect(result.args).to.equal("-m olp_trainer train --job /j/job.json");
    expect(result.cwd).to.equal("/tmp");
    expect(String(result.pythonpath).split(":")[0]).to.equal("/tmp");
  });

  it("delivers every line as a typed event and resolves train with the checked result", async () => {
    const python = await fakePython(
      `echo '${progress}'\necho '{"type":"metric","name":"train_loss","value":6.5,"step":4}'\necho '${JSON.stringify({ type: "result", command: "train", ...trainResultJson() })}'`,
    );
    const events: TrainerEvent[] = [];
    const result = await new TrainerProcess({ python }).train("/j.json", { onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.type)).to.deep.equal(["progress", "metric", "result"]);
    expect(result.datasetIds).to.deep.equal([1n, 2n]);
  });

  it("maps a Python error message and exit 1 to a TrainerError with Python's code and context", async () => {
    const error = {
      type: "error",
      code: "ROOT_MISMATCH",
      message: "dataset 1: samples build root 0x…",
      datasetId: 1,
      expected: "0xaa",
      found: "0xbb",
    };
    const python = await fakePython(`echo '${JSON.stringify(error)}'\necho 'Traceback: none' >&2\nexit 1`);
    const err = await expectRejectedWithCode(new TrainerProcess({ python }).train("/j.json"), TrainerErrorCode.PYTHON, {
      pythonCode: PythonErrorCode.ROOT_MISMATCH,
      reason: error.message,
      context: { datasetId: 1, expected: "0xaa", found: "0xbb" },
      exitCode: 1,
    });
    expect(err.type.code === TrainerErrorCode.PYTHON && err.type.stderrTail).to.deep.equal(["Traceback: none"]);
  });

  it("maps a non-zero exit without an error message to EXITED with the stderr tail", async () => {
    const python = await fakePython("echo 'Segmentation fault' >&2\nexit 139");
    await expectRejectedWithCode(new TrainerProcess({ python }).run("train", []), TrainerErrorCode.EXITED, {
      exitCode: 139,
      signal: null,
      stderrTail: ["Segmentation fault"],
    });
  });

  it("refuses exit 0 without a result for the command", async () => {
    const python = await fakePython(`echo '${progress}'\necho '{"type":"result","command":"eval"}'`);
    await expectRejectedWithCode(new TrainerProcess({ python }).run("train", []), TrainerErrorCode.NO_RESULT);
  });

  it("kills the process on a malformed stdout line", async () => {
    const python = await fakePython(`echo 'progress: 50%'\nexec sleep 30`);
    await expectRejectedWithCode(new TrainerProcess({ python }).run("train", []), TrainerErrorCode.MALFORMED_MESSAGE, {
      line: "progress: 50%",
    });
  });

  it("kills the process on a stdout line past the bound, without waiting for its end", async () => {
    const python = await fakePython(`head -c 5000 /dev/zero | tr '\\0' 'a'\nexec sleep 30`);
    await expectRejectedWithCode(
      new TrainerProcess({ python, maxLineBytes: 1000 }).run("train", []),
      TrainerErrorCode.LINE_TOO_LONG,
      { maxLineBytes: 1000 },
    );
  });

  it("kills the process when the signal aborts and rejects with ABORTED once it is gone", async () => {
    const python = await fakePython(`echo '${progress}'\nexec sleep 30`);
    const controller = new AbortController();
    const events: TrainerEvent[] = [];
    const run = new TrainerProcess({ python }).run("train", [], {
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        controller.abort(new Error("operator stopped it"));
      },
    });
    const err = await expectRejectedWithCode(run, TrainerErrorCode.ABORTED);
    expect((err.cause as Error).message).to.equal("operator stopped it");
    expect(events).to.have.length(1);
  });

  it("sends SIGKILL after the grace period to a process that ignores SIGTERM", async () => {
    const python = await fakePython(`trap '' TERM\necho 'not a message'\nexec sleep 30`);
    const started = performance.now();
    await expectRejectedWithCode(
      new TrainerProcess({ python, killGraceMs: 200 }).run("train", []),
      TrainerErrorCode.MALFORMED_MESSAGE,
    );
    expect(performance.now() - started).to.be.below(10_000);
  });

  it("never starts when the signal already aborted", async () => {
    const python = await fakePython("exit 0");
    await expectRejectedWithCode(
      new TrainerProcess({ python }).run("train", [], { signal: AbortSignal.abort() }),
      TrainerErrorCode.ABORTED,
    );
  });

  it("reports a missing Python executable as SPAWN_FAILED", async () => {
    await expectRejectedWithCode(
      new TrainerProcess({ python: "/nonexistent/python3" }).run("train", []),
      TrainerErrorCode.SPAWN_FAILED,
      { python: "/nonexistent/python3" },
    );
  });

  it("forwards stderr to the logger, line by line, and counts runs by outcome", async () => {
    const python = await fakePython(
      `echo '[trainer] loading model' >&2\nprintf 'no newline at the end' >&2\necho '{"type":"result","command":"verify","match":true,"segment":1,"mismatches":[],"checks":[]}'`,
    );
    const logger = recordingLogger();
    const registry = new Registry();
    const metrics = createTrainerMetrics(registry);
    const result = await new TrainerProcess({ python }, { logger, metrics }).verify({
      jobPath: "/j.json",
      runDir: "/r",
      segment: 1,
    });
    expect(result.match).to.equal(true);
    expect(logger.lines.filter((l) => l.msg === "trainer stderr").map((l) => l.ctx)).to.deep.equal([
      { command: "verify", line: "[trainer] loading model" },
      { command: "verify", line: "no newline at the end" },
    ]);
    const runs = await metrics.runs.get();
    expect(runs.values).to.deep.include({ labels: { command: "verify", outcome: "result" }, value: 1 });
  });
});
