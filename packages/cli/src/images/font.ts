// A tiny built-in 5 x 7 bitmap font, to write cellIDs and channel names into
// contact sheets without a font file or a dependency. Upper case letters
// (lower case is drawn upper case), digits and the punctuation of names and
// ids; anything else is drawn as a box.

const GLYPHS: Record<string, string> = {
  A: ".###. #...# #...# ##### #...# #...# #...#",
  B: "####. #...# #...# ####. #...# #...# ####.",
  C: ".###. #...# #.... #.... #.... #...# .###.",
  D: "####. #...# #...# #...# #...# #...# ####.",
  E: "##### #.... #.... ####. #.... #.... #####",
  F: "##### #.... #.... ####. #.... #.... #....",
  G: ".###. #...# #.... #.### #...# #...# .####",
  H: "#...# #...# #...# ##### #...# #...# #...#",
  I: ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
  J: "..### ...#. ...#. ...#. ...#. #..#. .##..",
  K: "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
  L: "#.... #.... #.... #.... #.... #.... #####",
  M: "#...# ##.## #.#.# #.#.# #...# #...# #...#",
  N: "#...# #...# ##..# #.#.# #..## #...# #...#",
  O: ".###. #...# #...# #...# #...# #...# .###.",
  P: "####. #...# #...# ####. #.... #.... #....",
  Q: ".###. #...# #...# #...# #.#.# #..#. .##.#",
  R: "####. #...# #...# ####. #.#.. #..#. #...#",
  S: ".#### #.... #.... .###. ....# ....# ####.",
  T: "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
  U: "#...# #...# #...# #...# #...# #...# .###.",
  V: "#...# #...# #...# #...# #...# .#.#. ..#..",
  W: "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
  X: "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
  Y: "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
  Z: "##### ....# ...#. ..#.. .#... #.... #####",
  "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
  "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
  "2": ".###. #...# ....# ...#. ..#.. .#... #####",
  "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
  "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
  "5": "##### #.... ####. ....# ....# #...# .###.",
  "6": "..##. .#... #.... ####. #...# #...# .###.",
  "7": "##### ....# ...#. ..#.. .#... .#... .#...",
  "8": ".###. #...# #...# .###. #...# #...# .###.",
  "9": ".###. #...# #...# .#### ....# ...#. .##..",
  " ": "..... ..... ..... ..... ..... ..... .....",
  "_": "..... ..... ..... ..... ..... ..... #####",
  "-": "..... ..... ..... .###. ..... ..... .....",
  ".": "..... ..... ..... ..... ..... .##.. .##..",
  ":": "..... .##.. .##.. ..... .##.. .##.. .....",
  "/": "....# ....# ...#. ..#.. .#... #.... #....",
  "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
  ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
  "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
  "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
  "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
};
const BOX = "##### #...# #...# #...# #...# #...# #####";

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Horizontal advance of one character: the glyph and a blank column. */
export const ADVANCE = GLYPH_WIDTH + 1;

const rowsOf = new Map<string, boolean[][]>();
function glyph(ch: string): boolean[][] {
  const key = ch.toUpperCase();
  let rows = rowsOf.get(key);
  if (!rows) {
    rows = (GLYPHS[key] ?? BOX).split(" ").map((r) => [...r].map((c) => c === "#"));
    rowsOf.set(key, rows);
  }
  return rows;
}

/** Width in pixels of `text` drawn with drawText. */
export function textWidth(text: string): number {
  return text.length === 0 ? 0 : text.length * ADVANCE - 1;
}

/**
 * Draws `text` into a grey image (`width` pixels a row) with its top left at
 * (x, y), in `value`; pixels outside the image are skipped.
 */
export function drawText(image: Uint8Array, width: number, height: number, x: number, y: number, text: string, value = 255): void {
  let cx = x;
  for (const ch of text) {
    const rows = glyph(ch);
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const py = y + r;
      if (py < 0 || py >= height) continue;
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        const px = cx + c;
        if (rows[r][c] && px >= 0 && px < width) image[py * width + px] = value;
      }
    }
    cx += ADVANCE;
  }
}

/** `text` cut into lines of at most `chars` characters (at most `maxLines`, the last one ending in "." when cut). */
export function wrapText(text: string, chars: number, maxLines: number): string[] {
  const n = Math.max(1, chars);
  const lines: string[] = [];
  for (let i = 0; i < text.length && lines.length < maxLines; i += n) lines.push(text.slice(i, i + n));
  if (lines.length * n < text.length && lines.length > 0) {
    const last = lines[lines.length - 1];
    lines[lines.length - 1] = `${last.slice(0, Math.max(0, n - 1))}.`;
  }
  return lines;
}
