// The decoder build of @cornerstonejs/codec-openjpeg (an Emscripten module
// factory, CommonJS, shipped without types): what inputs/tiff-jpeg2000.ts uses.
declare module "@cornerstonejs/codec-openjpeg/decodewasmjs" {
  interface OpenJpegModule {
    J2KDecoder: new () => unknown;
  }
  const factory: (options?: { print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<OpenJpegModule>;
  export default factory;
}
