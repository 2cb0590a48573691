// Stubs for the Node modules the format packages import for local files,
// writing and worker threads: the browser only reads over HTTP, so any call
// here is a bug and says so.
function unavailable(name: string) {
  return (..._args: unknown[]): never => {
    throw new Error(`${name} is not available in the browser (the viewer reads datasets over HTTP only)`);
  };
}

export const open = unavailable("fs.open");
export const stat = unavailable("fs.stat");
export const readdir = unavailable("fs.readdir");
export const mkdir = unavailable("fs.mkdir");
export const rename = unavailable("fs.rename");
export const rm = unavailable("fs.rm");
export const writeFile = unavailable("fs.writeFile");
export const access = unavailable("fs.access");
export const openSync = unavailable("fs.openSync");
export const closeSync = unavailable("fs.closeSync");
export const fstatSync = unavailable("fs.fstatSync");
export const readSync = unavailable("fs.readSync");
export const readFileSync = unavailable("fs.readFileSync");
export const existsSync = () => false;
export const randomBytes = unavailable("crypto.randomBytes");
export const fileURLToPath = (u: string | URL) => new URL(u).pathname;
export const availableParallelism = () => navigator.hardwareConcurrency || 1;
export class Worker {
  constructor() {
    throw new Error("worker_threads is not available in the browser");
  }
}
export const parentPort = null;
const join = (...p: string[]) => p.join("/").replace(/\/+/g, "/");
const basename = (p: string) => p.replace(/\/+$/, "").split("/").pop() ?? "";
const dirname = (p: string) => p.replace(/\/[^/]*\/?$/, "") || "/";
const resolve = (...p: string[]) => join(...p);
export const path = { join, basename, dirname, resolve, sep: "/" };
export { basename, dirname, join, resolve };
export const promises = { open, stat, readdir, mkdir, rename, rm, writeFile, access };
export default { ...promises, ...path, existsSync, openSync, closeSync, fstatSync, readSync, readFileSync, availableParallelism, Worker, randomBytes, fileURLToPath };
