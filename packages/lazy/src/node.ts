// @cellfolio/lazy under Node: the same API, with @cellfolio/format's Node
// entry loaded, so `openDataset` takes local paths and block reads use codec
// worker threads. Node resolves the package here through the "node" export
// condition; browsers and bundlers get index.ts.
import "@cellfolio/format/node";

export * from "./index.js";
