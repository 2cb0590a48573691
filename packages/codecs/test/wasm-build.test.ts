// The committed module (src/wasm.generated.ts) is what assembly/*.ts compile
// to: nobody ships a binary that the sources in the repo do not give.
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { compileKernels, generatedSource } from "../../../scripts/build-wasm.mjs";
import { KERNELS_WASM } from "../src/wasm.generated.js";

describe("the WebAssembly module", () => {
  it("equals a fresh compile of assembly/ (run npm run build:wasm -w @cellfolio/codecs after editing it)", () => {
    const wasm: Buffer = compileKernels("codecs");
    expect(wasm.toString("base64") === KERNELS_WASM).toBe(true);
    expect(generatedSource("codecs", wasm)).toContain(KERNELS_WASM);
  });
});
