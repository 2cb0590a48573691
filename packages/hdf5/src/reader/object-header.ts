// Object headers (format spec IV.A): version 1 (h5py's default) and version 2
// ("OHDR", libver="latest"), with their continuation blocks, flattened into one
// list of messages.
import type { FileContext } from "./context.js";
import { Cursor } from "./cursor.js";
import { MSG } from "./messages.js";

export interface HeaderMessage {
  type: number;
  flags: number;
  data: Uint8Array;
}

const MAX_BLOCKS = 100_000;

export async function readObjectHeader(ctx: FileContext, address: number, path: string): Promise<HeaderMessage[]> {
  return ctx.guard(path, `object header at address ${address}`, async () => {
    const first = await ctx.upTo(address, 4096, path, "object header");
    const messages: HeaderMessage[] = [];
    const pending: { address: number; length: number }[] = [];
    const seen = new Set<number>([address]);
    let version: number;
    let v2flags = 0;
    if (first.bytes[0] === 1) {
      version = 1;
      first.skip(2);
      first.u16(); // total messages (includes continuations' messages)
      first.u32(); // reference count
      const size = first.u32();
      const c = size + 16 <= first.bytes.length ? first : await ctx.at(address, 16 + size, path, "object header");
      parseV1Messages(new Cursor(c.bytes.subarray(16, 16 + size), 0, ctx.offsetSize, ctx.lengthSize), messages, pending);
    } else {
      first.signature("OHDR");
      version = first.u8();
      if (version !== 2) throw new RangeError(`unsupported object header version ${version}`);
      const flags = first.u8();
      if (flags & 0x20) first.skip(16);
      if (flags & 0x10) first.skip(4);
      const sizeBytes = 1 << (flags & 3);
      const size = first.uint(sizeBytes);
      const start = first.pos;
      const total = start + size + 4;
      const c = total <= first.bytes.length ? first : await ctx.at(address, total, path, "object header");
      parseV2Messages(new Cursor(c.bytes.subarray(start, start + size), 0, ctx.offsetSize, ctx.lengthSize), flags, messages, pending);
      v2flags = flags; // continuation blocks use the same message header layout
    }
    let blocks = 0;
    while (pending.length > 0) {
      const next = pending.shift()!;
      if (seen.has(next.address)) throw new RangeError(`object header continuation loops back to ${next.address}`);
      seen.add(next.address);
      if (++blocks > MAX_BLOCKS) throw new RangeError("too many object header continuation blocks");
      const c = await ctx.at(next.address, next.length, path, "object header continuation");
      if (version === 1) {
        parseV1Messages(c, messages, pending);
      } else {
        c.signature("OCHK");
        parseV2Messages(new Cursor(c.bytes.subarray(4, next.length - 4), 0, ctx.offsetSize, ctx.lengthSize), v2flags, messages, pending);
      }
    }
    return messages;
  });
}

function parseV1Messages(c: Cursor, out: HeaderMessage[], pending: { address: number; length: number }[]): void {
  while (c.remaining >= 8) {
    const type = c.u16();
    const size = c.u16();
    const flags = c.u8();
    c.skip(3);
    const data = c.take(size);
    push(c, type, flags, data, out, pending);
  }
}

function parseV2Messages(c: Cursor, hdrFlags: number, out: HeaderMessage[], pending: { address: number; length: number }[]): void {
  const headerSize = hdrFlags & 0x04 ? 6 : 4;
  while (c.remaining >= headerSize) {
    const type = c.u8();
    const size = c.u16();
    const flags = c.u8();
    if (hdrFlags & 0x04) c.u16();
    const data = c.take(size);
    push(c, type, flags, data, out, pending);
  }
}

function push(
  c: Cursor,
  type: number,
  flags: number,
  data: Uint8Array,
  out: HeaderMessage[],
  pending: { address: number; length: number }[],
): void {
  if (type === MSG.NIL) return;
  if (type === MSG.CONTINUATION) {
    const cc = new Cursor(data, 0, c.offsetSize, c.lengthSize);
    pending.push({ address: cc.addr(), length: cc.len() });
    return;
  }
  out.push({ type, flags, data });
}
