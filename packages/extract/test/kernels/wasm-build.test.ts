// The committed module (src/kernels/wasm.generated.ts) is what assembly/
// compiles to: nobody ships a binary that the sources in the repo do not give.
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { compileKernels, generatedSource } from "../../../../scripts/build-wasm.mjs";
import { EXTRACT_KERNELS_WASM } from "../../src/kernels/wasm.generated.js";

describe("the extraction kernels' WebAssembly module", () => {
  it("equals a fresh compile of assembly/ (run npm run build:wasm -w @cellfolio/extract after editing it)", () => {
    const wasm: Buffer = compileKernels("extract");
    expect(wasm.toString("base64") === EXTRACT_KERNELS_WASM).toBe(true);
    expect(generatedSource("extract", wasm)).toContain(EXTRACT_KERNELS_WASM);
  });
});
