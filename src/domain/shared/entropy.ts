/**
 * Estimated information in a string, from how evenly its characters are spread (Shannon
 * entropy of the character frequencies). It cannot tell a random string from a well-spread
 * word list, but it tells "debug" (few distinct characters, short) from a generated token.
 */

/** Bits per character: 0 for "aaaa", log2(n) when all n characters differ. */
export const shannonBitsPerChar = (text: string): number => {
  const chars = [...text];
  if (chars.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    bits -= p * Math.log2(p);
  }
  return bits;
};

/** Bits for the whole string: bits per character × length. */
export const estimatedEntropyBits = (text: string): number => shannonBitsPerChar(text) * [...text].length;
