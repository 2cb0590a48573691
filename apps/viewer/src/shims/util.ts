// node:util for the browser: only promisify is used on the read path.
export function promisify(fn: (...args: never[]) => void) {
  return (...args: unknown[]) =>
    new Promise((resolve, reject) => {
      (fn as (...a: unknown[]) => void)(...args, (err: Error | null, out: unknown) => (err ? reject(err) : resolve(out)));
    });
}
export default { promisify };
