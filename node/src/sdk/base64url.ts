/** RFC 4648 §5 alphabet: URL- and header-safe, no padding. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const INDEX = new Map([...ALPHABET].map((char, i) => [char, i]));

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5). Written out rather than taken from `Buffer`, so the SDK
 * runs in browsers too.
 */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += ALPHABET[(chunk >> (18 - 6 * j)) & 63];
  }
  return out;
}

/**
 * Decodes base64url without padding. Returns the index of the first character outside the alphabet instead of the
 * bytes, so the caller names it; a length of 1 mod 4 or non-zero trailing bits are refused too (index = length), so
 * every byte string has exactly one encoding.
 */
export function decodeBase64url(text: string): Uint8Array | { badIndex: number } {
  const values: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const value = INDEX.get(text.charAt(i));
    if (value === undefined) return { badIndex: i };
    values.push(value);
  }
  const rest = values.length % 4;
  if (rest === 1) return { badIndex: values.length };
  const bytes = new Uint8Array(Math.floor((values.length * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let n = 0;
  for (const value of values) {
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return { badIndex: values.length };
  return bytes;
}
