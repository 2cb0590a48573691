// @cellfolio/codecs for Node: the same API, with node:zlib as the deflate
// backend (native, threadpool-parallel). Node resolves the package here
// through the "node" export condition; browsers and bundlers get index.ts.
import { nodeZlibBackend } from "./node/zlib.js";
import { setZlibBackend } from "./zlib.js";

setZlibBackend(nodeZlibBackend);

export * from "./index.js";
export { nodeZlibBackend } from "./node/zlib.js";
