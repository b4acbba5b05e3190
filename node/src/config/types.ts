import { multiaddr } from "@multiformats/multiaddr";

/** A JSON value, as the effective config prints. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * How one config key's value is read from the config file (JSON) and from environment variables and flags (text),
 * and printed back. The parsers throw {@link InvalidValue} with what they found; the caller adds the key and where
 * the value came from.
 */
export interface ValueType<T> {
  /** A short name for tables: `integer`, `url`, `multiaddr[]`. */
  readonly name: string;
  /** What a valid value is, in words, for errors: "an integer from 0 to 65535". */
  readonly expected: string;
  /** Reads the value from the config file's JSON. */
  fromJson(value: unknown): T;
  /** Reads the value from an environment variable or a flag. */
  fromString(text: string): T;
  /** The value as JSON, for printing (bigints as decimal strings). */
  toJson(value: T): JsonValue;
}

/** A value that is not of its key's type; `found` says what it was (never the whole of a long string). */
export class InvalidValue extends Error {
  /**
   * @param found what was found, in words: `the string "abc"`, `the number 1.5`
   * @param reason why it is not valid, when the type alone does not say ("port 99999 is above 65535")
   */
  constructor(
    readonly found: string,
    readonly reason?: string,
  ) {
    super(found);
    this.name = "InvalidValue";
  }
}

const MAX_SHOWN = 60;

/** A JSON value in words, for errors: `the string "abc"`, `the number 3`, `an array`. */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value)}`;
    case "number":
    case "boolean":
      return `the ${typeof value} ${String(value)}`;
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

/** The kind of a JSON value without its content, for secrets: "a string", "a number". */
export function describeJsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const kind = typeof value;
  return kind === "object" ? "an object" : `a ${kind}`;
}

function expectJsonString(value: unknown): string {
  if (typeof value !== "string") throw new InvalidValue(describeJson(value));
  return value;
}

/** A non-empty string. */
export function stringType(expected = "a non-empty string"): ValueType<string> {
  const parse = (text: string): string => {
    if (text === "") throw new InvalidValue("an empty string");
    return text;
  };
  return {
    name: "string",
    expected,
    fromJson: (value) => parse(expectJsonString(value)),
    fromString: parse,
    toJson: (value) => value,
  };
}

/** A file or directory path (relative paths are relative to the working directory). */
export function pathType(): ValueType<string> {
  return { ...stringType("a path"), name: "path" };
}

/** A URL whose scheme is one of `protocols` (with the colon, as `URL.protocol` has it: `"https:"`). */
export function urlType(protocols: readonly string[]): ValueType<string> {
  const schemes = protocols.map((p) => p.replace(/:$/, ""));
  const expected = `a URL starting with ${schemes.map((s) => `${s}://`).join(", ")}`;
  const parse = (text: string): string => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidValue(`${describeJson(text)}, which is not a URL`);
    }
    if (!protocols.includes(url.protocol)) throw new InvalidValue(`a URL with scheme ${url.protocol}//`);
    return text;
  };
  return {
    name: "url",
    expected,
    fromJson: (value) => parse(expectJsonString(value)),
    fromString: parse,
    toJson: (v) => v,
  };
}

const DECIMAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/** A safe integer from `min` to `max`. */
export function integerType(min: number, max: number): ValueType<number> {
  const expected = `an integer from ${min} to ${max}`;
  const check = (value: number, found: string): number => {
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new InvalidValue(found);
    return value;
  };
  return {
    name: "integer",
    expected,
    fromJson: (value) => {
      if (typeof value !== "number") throw new InvalidValue(describeJson(value));
      return check(value, describeJson(value));
    },
    fromString: (text) => {
      if (!DECIMAL_INTEGER.test(text)) throw new InvalidValue(describeJson(text));
      return check(Number(text), describeJson(text));
    },
    toJson: (value) => value,
  };
}

const DECIMAL_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A finite number from `min` to `max`. */
export function numberType(min: number, max: number): ValueType<number> {
  const expected = `a number from ${min} to ${max}`;
  const check = (value: number, found: string): number => {
    if (!Number.isFinite(value) || value < min || value > max) throw new InvalidValue(found);
    // -0 would print as 0 but compare oddly; a weight of "-0" means 0.
    return value === 0 ? 0 : value;
  };
  return {
    name: "number",
    expected,
    fromJson: (value) => {
      if (typeof value !== "number") throw new InvalidValue(describeJson(value));
      return check(value, describeJson(value));
    },
    fromString: (text) => {
      if (!DECIMAL_NUMBER.test(text)) throw new InvalidValue(describeJson(text));
      return check(Number(text), describeJson(text));
    },
    toJson: (value) => value,
  };
}

/** `true` or `false` (JSON booleans in the file; `true`, `false`, `1` or `0` in the environment and flags). */
export function booleanType(): ValueType<boolean> {
  return {
    name: "boolean",
    expected: "true or false",
    fromJson: (value) => {
      if (typeof value !== "boolean") throw new InvalidValue(describeJson(value));
      return value;
    },
    fromString: (text) => {
      if (text === "true" || text === "1") return true;
      if (text === "false" || text === "0") return false;
      throw new InvalidValue(describeJson(text));
    },
    toJson: (value) => value,
  };
}

/** One of a fixed set of strings. */
export function enumType<const T extends string>(values: readonly T[]): ValueType<T> {
  const parse = (text: string): T => {
    if (!(values as readonly string[]).includes(text)) throw new InvalidValue(describeJson(text));
    return text as T;
  };
  return {
    name: values.join(" | "),
    expected: `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`,
    fromJson: (value) => parse(expectJsonString(value)),
    fromString: parse,
    toJson: (value) => value,
  };
}

const DECIMAL_UINT = /^(0|[1-9][0-9]*)$/;
const MAX_UINT128 = (1n << 128n) - 1n;

/**
 * An amount of wei: a decimal string in the file too (JSON numbers lose precision past 2^53, so a JSON number is
 * refused), at most 2^128 − 1 (the protocol's `uint128` values).
 */
export function weiType(): ValueType<bigint> {
  const parse = (text: string): bigint => {
    if (!DECIMAL_UINT.test(text)) throw new InvalidValue(describeJson(text));
    const value = BigInt(text);
    if (value > MAX_UINT128) throw new InvalidValue(describeJson(text), "above 2^128 − 1");
    return value;
  };
  return {
    name: "wei",
    expected: "an amount of wei as a decimal string, from 0 to 2^128 − 1",
    fromJson: (value) => {
      if (typeof value === "number") {
        throw new InvalidValue(describeJson(value), "write wei as a decimal string: JSON numbers lose precision");
      }
      return parse(expectJsonString(value));
    },
    fromString: parse,
    toJson: (value) => value.toString(),
  };
}

/** A libp2p multiaddr; with `peerId`, one that ends in `/p2p/<peer id>` (a bootstrap peer must be named). */
export function multiaddrType({ peerId }: { peerId: boolean }): ValueType<string> {
  const parse = (text: string): string => {
    let components: { name: string }[];
    try {
      components = multiaddr(text).getComponents();
    } catch (err) {
      throw new InvalidValue(describeJson(text), (err as Error).message);
    }
    if (peerId && components.at(-1)?.name !== "p2p") {
      throw new InvalidValue(describeJson(text), "it does not end in /p2p/<peer id>");
    }
    return text;
  };
  return {
    name: "multiaddr",
    expected: peerId ? "a multiaddr ending in /p2p/<peer id>" : "a multiaddr such as /ip4/0.0.0.0/tcp/9700",
    fromJson: (value) => parse(expectJsonString(value)),
    fromString: parse,
    toJson: (value) => value,
  };
}

/**
 * A list of `item`: a JSON array in the file; comma-separated in the environment and flags (a flag may also be
 * repeated). An empty text is an empty list.
 */
export function listType<T>(item: ValueType<T>, maxItems: number): ValueType<readonly T[]> {
  const expected = `a list of at most ${maxItems} items, each ${item.expected}`;
  const check = (items: readonly T[], found: string): readonly T[] => {
    if (items.length > maxItems) throw new InvalidValue(found, `more than ${maxItems} items`);
    return items;
  };
  const itemFrom = <V>(read: (v: V) => T, value: V, index: number): T => {
    try {
      return read(value);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      throw new InvalidValue(`item ${index + 1}: ${err.found}`, err.reason);
    }
  };
  return {
    name: `${item.name}[]`,
    expected,
    fromJson: (value) => {
      if (!Array.isArray(value)) throw new InvalidValue(describeJson(value));
      return check(
        value.map((v, i) => itemFrom(item.fromJson, v as unknown, i)),
        `${value.length} items`,
      );
    },
    fromString: (text) => {
      if (text === "") return [];
      const parts = text.split(",").map((p) => p.trim());
      return check(
        parts.map((p, i) => itemFrom(item.fromString, p, i)),
        `${parts.length} items`,
      );
    },
    toJson: (value) => value.map((v) => item.toJson(v)),
  };
}
