/**
 * The logger the p2p layer writes to, in Lodestar's shape `(msg, ctx, err)`. A minimal local interface until the
 * node's logger module lands; a pino-backed `Logger` satisfies it.
 */
export interface P2pLogger {
  debug(msg: string, ctx?: object, err?: unknown): void;
  info(msg: string, ctx?: object, err?: unknown): void;
  warn(msg: string, ctx?: object, err?: unknown): void;
  error(msg: string, ctx?: object, err?: unknown): void;
}

/** A logger that drops everything: the default when none is injected. */
export const silentLogger: P2pLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
