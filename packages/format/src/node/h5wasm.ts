// The fallback for local HDF5 datasets whose filters our reader does not
// decode (blosc, zstd, bitshuffle, lz4, bzip2: h5wasm-plugins has them).
// h5wasm and h5wasm-plugins are optional dependencies: installed, they are
// loaded on the first such read; missing, the read fails saying what to install.
import type { H5wasmFile } from "../platform.js";
import type { DType, TypedArray } from "../types.js";

async function load(source: string): Promise<any> {
  let h5wasm: any;
  let plugins: any;
  try {
    // (module names in variables: optional packages, absent at build time for some users)
    const h5wasmModule = "h5wasm/node";
    const pluginsModule = "h5wasm-plugins";
    h5wasm = (await import(h5wasmModule)).default;
    plugins = await import(pluginsModule);
  } catch (e) {
    throw new Error(
      `${source}: a dataset uses an HDF5 filter our reader does not decode (blosc, zstd, ...); ` +
        `install the optional decoders with "npm install h5wasm h5wasm-plugins" (${(e as Error)?.message ?? e})`,
      { cause: e },
    );
  }
  const Module = await h5wasm.ready;
  plugins.install_local_plugins(Module);
  // Without this a failed filter returns garbage instead of throwing.
  Module.activate_throwing_error_handler?.();
  return new h5wasm.File(source, "r");
}

export function openH5wasm(source: string): H5wasmFile {
  let file: Promise<any> | undefined;
  return {
    async read(path: string, start: number[], shape: number[], dtype: DType): Promise<TypedArray | string[]> {
      file ??= load(source);
      const d = (await file).get(path);
      if (dtype === "float16" || dtype === "bool") {
        // h5wasm has no float16: read the raw 2-byte (or 1-byte) values as unsigned integers.
        d._metadata = { ...d.metadata, type: 0, signed: false, size: dtype === "bool" ? 1 : 2, enum_type: undefined };
      }
      const ranges = start.map((s, i) => [s, s + shape[i]]);
      const v = ranges.length === 0 ? d.value : d.slice(ranges);
      return dtype === "string" ? Array.from(v as string[]) : (v as TypedArray);
    },
    async close(): Promise<void> {
      if (file) (await file.catch(() => null))?.close();
    },
  };
}
