// Version-1 object headers: a 16-byte prefix, then messages (8-byte message
// header + body padded to 8). Headers with many messages are split into
// chunks linked by continuation messages (0x0010), all laid out contiguously.
import { Bytes, pad8 } from "./bytes.js";

export interface Message {
  type: number;
  flags?: number;
  body: Uint8Array;
}

export const MSG = {
  dataspace: 0x01,
  datatype: 0x03,
  fillValue: 0x05,
  layout: 0x08,
  filterPipeline: 0x0b,
  attribute: 0x0c,
  continuation: 0x10,
  symbolTable: 0x11,
} as const;

/** Bytes of message data per chunk before a continuation starts a new one. */
const CHUNK_BUDGET = 4096;
const CONT_SIZE = 8 + 16;

function msgSize(m: Message): number {
  if (m.body.length > 0xffff) throw new Error(`object header message of ${m.body.length} bytes exceeds the 64 KiB limit`);
  return 8 + pad8(m.body.length);
}

/** Splits messages into chunks; sizes only depend on the bodies' lengths. */
function planChunks(messages: readonly Message[]): Message[][] {
  const chunks: Message[][] = [[]];
  let used = 0;
  const total = messages.reduce((s, m) => s + msgSize(m), 0);
  if (total <= CHUNK_BUDGET) return [messages.slice()];
  for (const m of messages) {
    const s = msgSize(m);
    if (used + s + CONT_SIZE > CHUNK_BUDGET && chunks[chunks.length - 1].length > 0) {
      chunks.push([]);
      used = 0;
    }
    chunks[chunks.length - 1].push(m);
    used += s;
  }
  return chunks;
}

export interface PlannedHeader {
  /** Total bytes of the header and its continuation chunks. */
  size: number;
  encode(address: number): Uint8Array;
}

export function planObjectHeader(messages: readonly Message[]): PlannedHeader {
  const chunks = planChunks(messages);
  const chunkSizes = chunks.map((c, i) => c.reduce((s, m) => s + msgSize(m), 0) + (i < chunks.length - 1 ? CONT_SIZE : 0));
  const size = 16 + chunkSizes.reduce((a, b) => a + b, 0);
  const count = messages.length + chunks.length - 1;
  return {
    size,
    encode(address: number): Uint8Array {
      const out = new Bytes(size);
      out.u8(1).u8(0).u16(count).u32(1 /* reference count */).u32(chunkSizes[0]).u32(0);
      let next = address + 16 + chunkSizes[0];
      chunks.forEach((chunk, i) => {
        for (const m of chunk) {
          out.u16(m.type).u16(pad8(m.body.length)).u8(m.flags ?? 0).zeros(3);
          out.bytes(m.body).zeros(pad8(m.body.length) - m.body.length);
        }
        if (i < chunks.length - 1) {
          out.u16(MSG.continuation).u16(16).u8(0).zeros(3).u64(next).u64(chunkSizes[i + 1]);
          next += chunkSizes[i + 1];
        }
      });
      if (out.length !== size) throw new Error(`object header size mismatch: ${out.length} != ${size}`);
      return out.finish();
    },
  };
}
