// Tests import the packages' sources (src/...), which are the platform-neutral
// core; under Node a user gets the Node entry, which installs local files,
// node:zlib and worker threads. Every test file runs with those installed.
import "../packages/codecs/src/node.js";
import "../packages/hdf5/src/node.js";
import "../packages/format/src/node.js";
