/** The minimal logger the API logs through (Lodestar's `(msg, ctx, err)` shape; the logger module's fits). */
export type ApiLogger = {
  debug(msg: string, ctx?: object, err?: unknown): void;
  info(msg: string, ctx?: object, err?: unknown): void;
  warn(msg: string, ctx?: object, err?: unknown): void;
  error(msg: string, ctx?: object, err?: unknown): void;
};
