export type * from "./types.js";
export { FormatError } from "./errors.js";
export { allocate, copyBlock, itemSize, numpyTypestr, product, sliceArray, strides, typedArrayFor } from "./dtype.js";
export { RowAppender } from "./streaming.js";
export type * from "./model.js";
