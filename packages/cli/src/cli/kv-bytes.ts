// Keys and values are bytes. The CLI prints them exactly as stored (etcdctl writes them raw), or with
// --hex as etcdctl's `\x66\x6f\x6f`, or Go-quoted in `-w fields`; it reads arguments as UTF-8, or — with
// --hex — written in that same `\x..` form, so what `get --hex` printed can be given back.

const encoder = new TextEncoder();

/** etcdctl's --hex form: every byte as `\x` and two lower-case hex digits. */
export function hexEscape(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

const HEX_ESCAPED = /^(?:\\x[0-9a-fA-F]{2})+$/;

/**
 * A key or value from the command line: with `hex`, an argument written entirely as `\xHH` escapes is
 * those bytes; anything else (and everything without `hex`) is its UTF-8 encoding. etcdctl's --hex only
 * changes output, so `--hex get foo` still means the key "foo" here as there.
 */
export function argBytes(text: string, hex: boolean): Uint8Array {
  if (hex && HEX_ESCAPED.test(text)) {
    const out = new Uint8Array(text.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 4 + 2, i * 4 + 4), 16);
    return out;
  }
  return encoder.encode(text);
}

/** Bytes and text in order, as one buffer for stdout. */
export function joinOutput(parts: readonly (string | Uint8Array)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

/**
 * Go's strconv.Quote (what etcdctl's `-w fields` prints keys and values with, via %q): printable runes as
 * they are, `\a \b \f \n \r \t \v \\ \"`, other control and non-printable runes as `\xHH`, `\uHHHH` or
 * `\UHHHHHHHH`, and each byte of invalid UTF-8 as `\xHH`.
 */
export function goQuote(bytes: Uint8Array): string {
  let out = '"';
  let i = 0;
  while (i < bytes.length) {
    const { rune, width } = decodeRune(bytes, i);
    if (rune < 0) {
      out += `\\x${(bytes[i] as number).toString(16).padStart(2, '0')}`;
      i += 1;
      continue;
    }
    i += width;
    out += quoteRune(rune);
  }
  return out + '"';
}

const SIMPLE_ESCAPES: Readonly<Record<number, string>> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 0x22: '\\"', 0x5c: '\\\\' };
// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function quoteRune(rune: number): string {
  const simple = SIMPLE_ESCAPES[rune];
  if (simple !== undefined) return simple;
  const ch = String.fromCodePoint(rune);
  if (PRINTABLE.test(ch)) return ch;
  if (rune < 0x20 || rune === 0x7f) return `\\x${rune.toString(16).padStart(2, '0')}`;
  if (rune < 0x10000) return `\\u${rune.toString(16).padStart(4, '0')}`;
  return `\\U${rune.toString(16).padStart(8, '0')}`;
}

/** One UTF-8 sequence at `i` as Go's utf8.DecodeRune reads it; rune −1 for an invalid byte. */
function decodeRune(b: Uint8Array, i: number): { rune: number; width: number } {
  const b0 = b[i] as number;
  if (b0 < 0x80) return { rune: b0, width: 1 };
  const cont = (k: number): number => {
    const c = b[i + k];
    return c !== undefined && (c & 0xc0) === 0x80 ? c & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? { rune: -1, width: 1 } : { rune: ((b0 & 0x1f) << 6) | c1, width: 2 };
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 < 0 || c2 < 0) return { rune: -1, width: 1 };
    const r = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    // Overlong forms and UTF-16 surrogates are invalid in UTF-8.
    return r < 0x800 || (r >= 0xd800 && r <= 0xdfff) ? { rune: -1, width: 1 } : { rune: r, width: 3 };
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return { rune: -1, width: 1 };
    const r = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    return r < 0x10000 || r > 0x10ffff ? { rune: -1, width: 1 } : { rune: r, width: 4 };
  }
  return { rune: -1, width: 1 };
}
