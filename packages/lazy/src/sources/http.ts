// What the HTTP side needs beyond the backends' own range readers: a first
// check that the URL is there and answers range requests, so that a 404 or a
// server without Range support gives one clear error (and no whole-file
// download) instead of a failure deep inside a chunk read.
import { DatasetError } from "../errors.js";

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * GETs the first `bytes` bytes of `url` with a Range header. Throws a
 * DatasetError for a non-2xx answer or a 200 (the server ignored the range);
 * the body of a 200 is cancelled, so the file is not downloaded.
 */
export async function probeRange(url: string, options: { fetch?: FetchLike; init?: RequestInit; bytes?: number } = {}): Promise<Uint8Array> {
  const f: FetchLike = options.fetch ?? ((u, i) => fetch(u, i));
  const n = options.bytes ?? 8;
  const headers = new Headers(options.init?.headers);
  headers.set("Range", `bytes=0-${n - 1}`);
  let res: Response;
  try {
    res = await f(url, { ...options.init, headers });
  } catch (err) {
    throw new DatasetError(url, "", `cannot reach the server: ${(err as Error).message}`, { cause: err });
  }
  if (res.status === 206) return new Uint8Array(await res.arrayBuffer());
  await res.body?.cancel().catch(() => {});
  if (res.status === 200) {
    throw new DatasetError(url, "", "the server does not support range requests (answered 200 to a Range request); cannot read chunks without downloading the whole file");
  }
  throw new DatasetError(url, "", `HTTP ${res.status} ${res.statusText}`.trim());
}

/** HDF5's format signature, at offset 0 for files h5py writes. */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
