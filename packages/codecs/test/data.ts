// Test bytes shared by the codec tests.

/** Pseudo-random bytes (an LCG's top byte): incompressible, the same for a seed. */
export function noise(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
