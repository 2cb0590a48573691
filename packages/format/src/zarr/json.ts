// JSON as Python writes it: zarr-python (json.dumps, allow_nan) writes the bare
// tokens NaN, Infinity and -Infinity for non-finite floats in attributes.
const utf8 = new TextDecoder();
const NONFINITE = "\u0000nonfinite:";

/** Parses a metadata document, accepting Python's NaN / Infinity tokens. */
export function parseJson(bytes: Uint8Array | string, what: string): any {
  const text = typeof bytes === "string" ? bytes : utf8.decode(bytes);
  try {
    return JSON.parse(text);
  } catch (first) {
    if (!/NaN|Infinity/.test(text)) throw new Error(`${what} is not valid JSON: ${(first as Error).message}`);
    const quoted = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (t) => (t[0] === '"' ? t : JSON.stringify(NONFINITE + t)));
    try {
      return JSON.parse(quoted, (_k, v) => (typeof v === "string" && v.startsWith(NONFINITE) ? Number(v.slice(NONFINITE.length)) : v));
    } catch (e) {
      throw new Error(`${what} is not valid JSON: ${(e as Error).message}`);
    }
  }
}

/** JSON with non-finite numbers written as Python writes them. */
export function stringifyJson(value: unknown): string {
  let nonfinite = false;
  const s = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) {
        nonfinite = true;
        return NONFINITE + String(v);
      }
      if (typeof v === "bigint") return Number(v);
      return v;
    },
    2,
  );
  if (!nonfinite) return s;
  return s.replace(/"\\u0000nonfinite:(NaN|-?Infinity)"/g, "$1");
}
