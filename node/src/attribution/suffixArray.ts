/** Below this length a plain comparison sort is faster than SA-IS's bookkeeping. */
const NAIVE_THRESHOLD = 40;

/**
 * The suffix array of `s` (values from 0 to `upper`), by SA-IS (Nong, Zhang and Chan 2009): linear time, a port of
 * the AtCoder Library's `sa_is` onto `Int32Array`s. A shorter suffix that is a prefix of a longer one sorts first.
 * Deterministic: the same input gives the same array on every machine.
 */
export function buildSuffixArray(s: Int32Array, upper: number): Int32Array {
  const n = s.length;
  if (n === 0) return new Int32Array(0);
  if (n === 1) return Int32Array.of(0);
  if (n === 2) return (s[0] as number) < (s[1] as number) ? Int32Array.of(0, 1) : Int32Array.of(1, 0);
  if (n < NAIVE_THRESHOLD) return naive(s);

  const sa = new Int32Array(n);
  // ls[i] = 1 when suffix i is S-type (smaller than suffix i + 1).
  const ls = new Uint8Array(n);
  for (let i = n - 2; i >= 0; i--) {
    const a = s[i] as number;
    const b = s[i + 1] as number;
    ls[i] = a === b ? (ls[i + 1] as number) : a < b ? 1 : 0;
  }
  const sumL = new Int32Array(upper + 2);
  const sumS = new Int32Array(upper + 2);
  for (let i = 0; i < n; i++) {
    const c = s[i] as number;
    if (ls[i] === 0) sumS[c] = (sumS[c] as number) + 1;
    else sumL[c + 1] = (sumL[c + 1] as number) + 1;
  }
  for (let i = 0; i <= upper; i++) {
    sumS[i] = (sumS[i] as number) + (sumL[i] as number);
    if (i < upper) sumL[i + 1] = (sumL[i + 1] as number) + (sumS[i] as number);
  }
  const buf = new Int32Array(upper + 2);

  const induce = (lms: Int32Array) => {
    sa.fill(-1);
    buf.set(sumS);
    for (let k = 0; k < lms.length; k++) {
      const d = lms[k] as number;
      if (d === n) continue;
      const c = s[d] as number;
      sa[buf[c] as number] = d;
      buf[c] = (buf[c] as number) + 1;
    }
    buf.set(sumL);
    const last = s[n - 1] as number;
    sa[buf[last] as number] = n - 1;
    buf[last] = (buf[last] as number) + 1;
    for (let i = 0; i < n; i++) {
      const v = sa[i] as number;
      if (v >= 1 && ls[v - 1] === 0) {
        const c = s[v - 1] as number;
        sa[buf[c] as number] = v - 1;
        buf[c] = (buf[c] as number) + 1;
      }
    }
    buf.set(sumL);
    for (let i = n - 1; i >= 0; i--) {
      const v = sa[i] as number;
      if (v >= 1 && ls[v - 1] === 1) {
        const c = (s[v - 1] as number) + 1;
        buf[c] = (buf[c] as number) - 1;
        sa[buf[c] as number] = v - 1;
      }
    }
  };

  const lmsMap = new Int32Array(n + 1).fill(-1);
  let m = 0;
  for (let i = 1; i < n; i++) if (ls[i - 1] === 0 && ls[i] === 1) lmsMap[i] = m++;
  const lms = new Int32Array(m);
  for (let i = 1, k = 0; i < n; i++) if (ls[i - 1] === 0 && ls[i] === 1) lms[k++] = i;

  induce(lms);

  if (m > 0) {
    const sortedLms = new Int32Array(m);
    for (let i = 0, k = 0; i < n; i++) {
      const v = sa[i] as number;
      if (lmsMap[v] !== -1) sortedLms[k++] = v;
    }
    const recS = new Int32Array(m);
    let recUpper = 0;
    recS[lmsMap[sortedLms[0] as number] as number] = 0;
    for (let i = 1; i < m; i++) {
      let l = sortedLms[i - 1] as number;
      let r = sortedLms[i] as number;
      const nextL = (lmsMap[l] as number) + 1;
      const nextR = (lmsMap[r] as number) + 1;
      const endL = nextL < m ? (lms[nextL] as number) : n;
      const endR = nextR < m ? (lms[nextR] as number) : n;
      let same = true;
      if (endL - l !== endR - r) {
        same = false;
      } else {
        while (l < endL && s[l] === s[r]) {
          l++;
          r++;
        }
        if (l === n || s[l] !== s[r]) same = false;
      }
      if (!same) recUpper++;
      recS[lmsMap[sortedLms[i] as number] as number] = recUpper;
    }
    const recSa = buildSuffixArray(recS, recUpper);
    for (let i = 0; i < m; i++) sortedLms[i] = lms[recSa[i] as number] as number;
    induce(sortedLms);
  }
  return sa;
}

function naive(s: Int32Array): Int32Array {
  const n = s.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    if (a === b) return 0;
    while (a < n && b < n) {
      if (s[a] !== s[b]) return (s[a] as number) - (s[b] as number);
      a++;
      b++;
    }
    return a === n ? -1 : 1;
  });
  return Int32Array.from(order);
}
