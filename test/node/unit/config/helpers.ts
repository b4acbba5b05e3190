import { expect } from "chai";
import { ConfigError, type ConfigErrorCode } from "../../../../node/src/config/index.js";

/** Runs `fn`, expects a {@link ConfigError}, checks its code (and context, when given) and returns it. */
export function expectConfigError(
  fn: () => unknown,
  code: ConfigErrorCode,
  context: Record<string, unknown> = {},
): ConfigError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "expected a ConfigError to be thrown").to.be.instanceOf(ConfigError);
  const error = thrown as ConfigError;
  expect(error.type).to.deep.include({ code, ...context });
  return error;
}

/** A config file input from a JSON-able object. */
export function file(contents: unknown, path = "olnode.json"): { path: string; text: string } {
  return { path, text: JSON.stringify(contents) };
}

/** A valid bootstrap multiaddr (the peer id is a real Ed25519 one). */
export const BOOTSTRAP_ADDR = "/ip4/10.0.0.1/tcp/9700/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";

/** An RPC URL with an API key in its path, as hosted providers hand them out. */
export const SECRET_RPC_URL = "https://eth.example.io/v3/0123456789abcdef0123456789abcdef";
