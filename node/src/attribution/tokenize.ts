/**
 * DESIGN §8 tokens: maximal runs of letters, marks and digits, or one other character, by code point. U+0020 (the
 * only white space `normalize` leaves) is dropped; any other character, white space or not, is a token of its own.
 */
const TOKEN = /[\p{L}\p{M}\p{N}]+|[^\u0020]/gu;

/** A token and where it lies in the text (UTF-16 offsets, end exclusive). */
export interface TokenAt {
  readonly token: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Splits normalized text (DESIGN §4 `normalize`, for outputs as for samples) into the tokens of DESIGN §8.
 *
 * @example
 * tokenize("héllo, wörld 42!") // ["héllo", ",", "wörld", "42", "!"]
 */
export function tokenize(normalizedText: string): string[] {
  return normalizedText.match(TOKEN) ?? [];
}

/** {@link tokenize} with each token's offsets, so a span can be shown as the text it covers. */
export function tokenizeWithOffsets(normalizedText: string): TokenAt[] {
  const tokens: TokenAt[] = [];
  for (const m of normalizedText.matchAll(TOKEN)) {
    tokens.push({ token: m[0], start: m.index, end: m.index + m[0].length });
  }
  return tokens;
}
