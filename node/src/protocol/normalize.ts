/**
 * The Unicode White_Space characters of DESIGN §4 (U+0009–U+000D written `\t\n\v\f\r`), listed by code point so
 * no engine's idea of `\s` (which adds U+FEFF and drops U+0085) can creep in.
 */
const WHITE_SPACE_RUN = /[\t\n\v\f\r\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/g;

/** U+0020 at either end. Not `String.prototype.trim`, which removes more (U+FEFF among others). */
const EDGE_SPACES = /^\u0020+|\u0020+$/g;

/** ASCII capitals only. Not `toLowerCase`, which is Unicode-wide (and `toLocaleLowerCase`, locale-bound). */
const ASCII_UPPER = /[A-Z]/g;

/**
 * Normalizes a sample's canonical text, or an output's text, exactly as DESIGN §4 says:
 * (1) Unicode NFC; (2) every maximal run of White_Space characters becomes one U+0020; (3) U+0020 is trimmed at
 * both ends; (4) ASCII `A`–`Z` are lowercased, nothing else is. Locale-free.
 *
 * Apply it once, to the canonical text: it is not promised to be idempotent, and no rule re-applies it.
 *
 * @example
 * normalize("  Hello,\u00A0\tWORLD\n") // "hello, world"
 */
export function normalize(text: string): string {
  return text
    .normalize("NFC")
    .replace(WHITE_SPACE_RUN, " ")
    .replace(EDGE_SPACES, "")
    .replace(ASCII_UPPER, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
