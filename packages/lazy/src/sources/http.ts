// What the HTTP side needs beyond the backends' own range readers: a first
// check that the URL is there and answers range requests, so that a 404 or a
// server without Range support gives one clear error (and no whole-file
// download) instead of a failure deep inside a chunk read. The requests go
// through @cellfolio/hdf5's HttpClient: the same time limits, retries, bounds
// and messages as every other remote read.
import { type FetchLike, HttpClient, type HttpOptions, SourceError } from "@cellfolio/format";
import { DatasetError } from "../errors.js";

export type { FetchLike };

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * The first `bytes` bytes of `url` (default 8), by a range request. A server
 * that ignores Range is accepted for a small file (the whole file within
 * maxWholeFileBytes) and refused for a larger one, its body cancelled. Throws
 * a DatasetError naming the URL and what the server did.
 */
export async function probeRange(url: string, options: HttpOptions & { init?: RequestInit; bytes?: number } = {}): Promise<Uint8Array> {
  const n = options.bytes ?? 8;
  const client = HttpClient.for({ ...options, fetchInit: options.fetchInit ?? options.init });
  try {
    const got = await client.range(url, 0, n);
    return got?.bytes ?? new Uint8Array(0);
  } catch (err) {
    if (err instanceof SourceError) throw new DatasetError(url, "", err.problem, { cause: err });
    throw err;
  }
}
