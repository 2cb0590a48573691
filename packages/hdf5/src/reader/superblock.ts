// The superblock (format spec III.A): versions 0-3. It gives the sizes of
// addresses and lengths and where the root group is.

import type { FileContext } from "./context.js";
import { Cursor, UNDEFINED } from "./cursor.js";

/** The eight bytes every HDF5 file starts with (at 0, or at 512, 1024, ... after a user block). */
export const HDF5_SIGNATURE: readonly number[] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Where a superblock may start in a file of `size` bytes: 0, 512, 1024, 2048, ... (after a user block). */
export function* superblockOffsets(size: number): Generator<number> {
  for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) yield off;
}

export interface Superblock {
  version: number;
  /** Absolute offset of the superblock (a user block may come first). */
  offset: number;
  offsetSize: number;
  lengthSize: number;
  baseAddress: number;
  /**
   * The end of the file as an absolute offset. The HDF5 library stores the
   * base address plus its relative end of allocation, so with a user block it
   * is the file size. UNDEFINED while a writer has the file open.
   */
  endOfFile: number;
  /** Object header address of the root group. */
  rootAddress: number;
  /** v0/v1: the root group's symbol table (B-tree and local heap) from the root entry's scratch pad. */
  rootSymbolTable?: { btree: number; heap: number };
}

/** Finds and parses the superblock: at 0, 512, 1024, 2048, ... */
export async function readSuperblock(ctx: FileContext): Promise<Superblock> {
  for (const off of superblockOffsets(ctx.fileSize)) {
    const head = await ctx.meta.read(off, 8);
    if (!HDF5_SIGNATURE.every((b, i) => head[i] === b)) continue;
    return ctx.guard("", "superblock", async () => {
      const c = new Cursor(await ctx.meta.read(off, Math.min(256, ctx.fileSize - off)), 8);
      return parse(c, off);
    });
  }
  throw ctx.error("", "not an HDF5 file (no HDF5 signature at 0, 512, 1024, ...)");
}

/**
 * The file size an HDF5 file's superblock states (its end-of-file address),
 * from the file's first bytes; undefined when they hold no superblock or it
 * states none. Lets a remote file be read when the server's answers do not
 * show its size (a browser hides Content-Range from another origin unless
 * the server exposes it).
 */
export function endOfFileFromHead(head: Uint8Array): number | undefined {
  for (const off of superblockOffsets(head.length)) {
    if (!HDF5_SIGNATURE.every((b, i) => head[off + i] === b)) continue;
    try {
      const sb = parse(new Cursor(head.subarray(off, off + 256), 8), off);
      return sb.endOfFile === UNDEFINED || sb.endOfFile < off + 8 ? undefined : sb.endOfFile;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Addresses are relative to where the superblock is, whatever base address
 * it stores: a user block put in front afterwards (h5jam, or a tool that
 * prepends a header, such as MATLAB's) leaves the stored base at 0 and the
 * stored end of file short by the user block. The HDF5 library reads such
 * files by taking the superblock's offset as the base and moving the end of
 * file by the difference; so do we.
 */
function rebase(sb: Superblock): Superblock {
  if (sb.baseAddress === sb.offset) return sb;
  const endOfFile = sb.endOfFile === UNDEFINED ? UNDEFINED : sb.endOfFile + (sb.offset - sb.baseAddress);
  return { ...sb, baseAddress: sb.offset, endOfFile };
}

function parse(c: Cursor, offset: number): Superblock {
  return rebase(parseStored(c, offset));
}

function parseStored(c: Cursor, offset: number): Superblock {
  const version = c.u8();
  if (version === 0 || version === 1) {
    c.skip(4); // free-space, root symbol table entry and shared-header versions, reserved
    const offsetSize = c.u8();
    const lengthSize = c.u8();
    checkSizes(offsetSize, lengthSize);
    c.skip(1);
    c.skip(4); // group leaf / internal node K
    c.skip(4); // consistency flags
    if (version === 1) c.skip(4); // indexed storage K + reserved
    const s = new Cursor(c.bytes, c.pos, offsetSize, lengthSize);
    const baseAddress = s.addr();
    s.addr(); // free-space info
    const endOfFile = s.addr();
    s.addr(); // driver info
    // Root group symbol table entry.
    s.addr(); // link name offset
    const rootAddress = s.addr();
    const cacheType = s.u32();
    s.skip(4);
    let rootSymbolTable: Superblock["rootSymbolTable"];
    if (cacheType === 1) {
      const btree = s.addr();
      const heap = s.addr();
      rootSymbolTable = { btree, heap };
    }
    return { version, offset, offsetSize, lengthSize, baseAddress, endOfFile, rootAddress, rootSymbolTable };
  }
  if (version === 2 || version === 3) {
    const offsetSize = c.u8();
    const lengthSize = c.u8();
    checkSizes(offsetSize, lengthSize);
    c.u8(); // flags
    const s = new Cursor(c.bytes, c.pos, offsetSize, lengthSize);
    const baseAddress = s.addr();
    s.addr(); // superblock extension
    const endOfFile = s.addr();
    const rootAddress = s.addr();
    return { version, offset, offsetSize, lengthSize, baseAddress, endOfFile, rootAddress };
  }
  throw new RangeError(`unsupported superblock version ${version}`);
}

function checkSizes(o: number, l: number): void {
  if (![2, 4, 8].includes(o) || ![2, 4, 8].includes(l)) {
    throw new RangeError(`unsupported address/length sizes ${o}/${l}`);
  }
}
