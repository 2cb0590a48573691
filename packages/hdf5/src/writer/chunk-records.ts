// The chunk index of a dataset while it is written: four numbers per chunk in
// growable typed arrays (about 24 bytes a chunk, not an object and a coords
// array each), so the millions of chunks of a large extraction stay small
// until the B-tree is built at close.

export class ChunkRecords {
  private linear = new Float64Array(256);
  private address = new Float64Array(256);
  private sizes = new Uint32Array(256);
  private masks = new Uint32Array(256);
  private inOrder = true;
  count = 0;

  /** Records chunk `linear` (its C-order index in the chunk grid); a chunk written again replaces the earlier record. */
  add(linear: number, address: number, size: number, mask: number): void {
    if (this.count === this.linear.length) this.grow();
    const k = this.count++;
    if (k > 0 && linear <= this.linear[k - 1]) this.inOrder = false;
    this.linear[k] = linear;
    this.address[k] = address;
    this.sizes[k] = size;
    this.masks[k] = mask;
  }

  private grow(): void {
    const n = 2 * this.linear.length;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const u32 = (a: Uint32Array) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.linear = f64(this.linear);
    this.address = f64(this.address);
    this.sizes = u32(this.sizes);
    this.masks = u32(this.masks);
  }

  /** Record numbers in chunk order, one per chunk (its last write). */
  order(): Uint32Array {
    const all = new Uint32Array(this.count);
    for (let k = 0; k < all.length; k++) all[k] = k;
    if (this.inOrder) return all;
    const lin = this.linear;
    all.sort((a, b) => lin[a] - lin[b] || a - b);
    let kept = 0;
    for (let i = 0; i < all.length; i++) {
      if (i + 1 < all.length && lin[all[i + 1]] === lin[all[i]]) continue; // a later write of the same chunk follows
      all[kept++] = all[i];
    }
    return all.subarray(0, kept);
  }

  linearOf(k: number): number {
    return this.linear[k];
  }
  addressOf(k: number): number {
    return this.address[k];
  }
  sizeOf(k: number): number {
    return this.sizes[k];
  }
  maskOf(k: number): number {
    return this.masks[k];
  }
}
