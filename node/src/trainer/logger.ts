/**
 * The logger the trainer bridge writes to, in Lodestar's shape `(msg, ctx, err)`. A local stand-in until the node's
 * logger module lands; any object with these four methods fits (a pino child through a thin adapter).
 */
export interface TrainerLogger {
  debug(msg: string, ctx?: object, err?: unknown): void;
  info(msg: string, ctx?: object, err?: unknown): void;
  warn(msg: string, ctx?: object, err?: unknown): void;
  error(msg: string, ctx?: object, err?: unknown): void;
}

/** A logger that drops everything: the default, so library use needs no logger. */
export const silentLogger: TrainerLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
