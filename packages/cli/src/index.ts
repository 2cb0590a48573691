export { main } from "./main.js";
export { type NodeTuning, nodeTuning } from "./tuned-node.js";
