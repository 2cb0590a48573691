// utf8Strings gives each string's UTF-8 bytes (as TextEncoder encodes it
// alone) back to back, nulls as empty strings, growing its buffer past the
// first guess (8 bytes a string) for long and multi-byte strings.
import { describe, expect, it } from "vitest";
import { utf8At, utf8Strings } from "../src/utf8.js";

describe("utf8Strings", () => {
  it("encodes each string as TextEncoder does, ends after each", () => {
    const values = ["", "cell", null, "μm²", "核", "😀 emoji", undefined, "x".repeat(1000), "ü".repeat(300)];
    const s = utf8Strings(values);
    const enc = new TextEncoder();
    const each = values.map((v) => enc.encode(v ?? ""));
    expect(s.bytes.length).toBe(each.reduce((t, b) => t + b.length, 0));
    each.forEach((b, i) => {
      expect(utf8At(s, i)).toEqual(b);
    });
    expect([...s.ends.subarray(0, 5)]).toEqual([0, 4, 4, 4 + 5, 4 + 5 + 3]);
  });

  it("holds 50,000 index strings in one buffer", () => {
    const values = Array.from({ length: 50_000 }, (_, i) => String(i));
    const s = utf8Strings(values);
    expect(s.ends.length).toBe(50_000);
    expect(new TextDecoder().decode(utf8At(s, 49_999))).toBe("49999");
    expect(s.bytes.length).toBe(values.join("").length);
  });
});
