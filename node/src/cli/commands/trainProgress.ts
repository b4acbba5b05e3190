import { renderProgressBar, type TrainerEvent, TrainingProgress } from "../../trainer/index.js";
import type { CommandContext, Writer } from "../command.js";

/** Width of the progress bar between its brackets. */
const BAR_WIDTH = 30;

/**
 * Progress on stderr: a bar redrawn in place on a terminal, a plain line per checkpoint otherwise; with `--json`, one
 * JSON line per progress snapshot on stdout (the result is the last line).
 */
export class ProgressPrinter {
  private readonly stderr: Writer;
  private readonly stdout: Writer;
  private readonly json: boolean;
  private readonly tty: boolean;
  private readonly progress = new TrainingProgress();
  private barShown = false;

  constructor(context: CommandContext) {
    this.stderr = context.io.stderr;
    this.stdout = context.io.stdout;
    this.json = context.json;
    this.tty = (context.io.stderr as { isTTY?: boolean }).isTTY === true;
    this.progress.on("progress", (snapshot) => {
      if (this.json) {
        this.stdout.write(`${JSON.stringify({ type: "progress", ...snapshot })}\n`);
        return;
      }
      if (snapshot.phase !== "train") return;
      const bar = renderProgressBar(snapshot.step, snapshot.steps, snapshot.loss, BAR_WIDTH, {
        etaSeconds: snapshot.etaSeconds,
      });
      if (this.tty) {
        this.stderr.write(`\r${bar}`);
        this.barShown = true;
      }
    });
  }

  /** A trainer event: updates the bar; checkpoints also print a plain line when stderr is not a terminal. */
  event(event: TrainerEvent): void {
    this.progress.update(event);
    if (!this.tty && !this.json && event.type === "checkpoint" && event.k > 0) {
      const s = this.progress.current;
      this.stderr.write(`${renderProgressBar(s.step, s.steps, s.loss, BAR_WIDTH, { etaSeconds: s.etaSeconds })}\n`);
    }
  }

  /** A step of the command itself. */
  line(text: string): void {
    this.endBar();
    if (this.json) this.stdout.write(`${JSON.stringify({ type: "step", message: text })}\n`);
    else this.stderr.write(`${text}\n`);
  }

  done(): void {
    this.endBar();
  }

  private endBar(): void {
    if (this.barShown) this.stderr.write("\n");
    this.barShown = false;
  }
}
