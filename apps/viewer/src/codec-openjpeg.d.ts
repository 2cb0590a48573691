// The decoder build of @cornerstonejs/codec-openjpeg (an Emscripten module
// factory, shipped without types) and its .wasm as a URL (Vite's ?url import):
// what jpeg2000.ts uses.
declare module "@cornerstonejs/codec-openjpeg/decodewasmjs" {
  interface OpenJpegModule {
    J2KDecoder: new () => unknown;
  }
  const factory: (options?: { locateFile?: (file: string) => string; print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<OpenJpegModule>;
  export default factory;
}
declare module "@cornerstonejs/codec-openjpeg/decodewasm?url" {
  const url: string;
  export default url;
}
