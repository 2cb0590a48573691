// The HDF5 fletcher32 filter (id 3): a checksum over the data as big-endian
// 16-bit words, stored in the last 4 bytes of the chunk.

export function fletcher32(data: Uint8Array): number {
  let sum1 = 0;
  let sum2 = 0;
  let len = data.length >> 1;
  let p = 0;
  while (len > 0) {
    let t = Math.min(len, 360);
    len -= t;
    do {
      sum1 += (data[p] << 8) | data[p + 1];
      p += 2;
      sum2 += sum1;
    } while (--t);
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  if (data.length & 1) {
    sum1 += data[p] << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  return ((sum2 << 16) | sum1) >>> 0;
}

/** Checks and strips the checksum; throws if it does not match. */
export function checkFletcher32(chunk: Uint8Array): Uint8Array {
  if (chunk.length < 4) throw new Error("fletcher32: chunk shorter than its checksum");
  const data = chunk.subarray(0, chunk.length - 4);
  const t = chunk.length - 4;
  const stored = (chunk[t] | (chunk[t + 1] << 8) | (chunk[t + 2] << 16) | (chunk[t + 3] << 24)) >>> 0;
  const sum = fletcher32(data);
  // Files from some old library versions stored the checksum with each half byte-swapped.
  const swapped = (((sum & 0x00ff00ff) << 8) | ((sum >>> 8) & 0x00ff00ff)) >>> 0;
  if (stored !== sum && stored !== swapped) {
    throw new Error(`fletcher32 checksum mismatch (stored ${stored.toString(16)}, computed ${sum.toString(16)})`);
  }
  return data;
}
