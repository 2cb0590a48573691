// This thread's instance of the WebAssembly kernels, made on first use.
import { createKernels, type Kernels } from "./kernels.js";
import { KERNELS_WASM } from "./wasm.generated.js";

let instance: Kernels | null = null;

/** This thread's kernels (instantiated on first use, ~8 KB of WebAssembly). */
export function kernels(): Kernels {
  if (!instance) instance = createKernels(KERNELS_WASM);
  return instance;
}
