// SPDY/3 header compression (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): one
// zlib context per direction for the whole session, primed with the SPDY/3
// dictionary, each header block ending at a Z_SYNC_FLUSH so that the peer
// can inflate it whole. Node's one-shot zlib calls close their context after
// each call, so this keeps a zlib stream open and flushes it per block. The
// stream is asynchronous; blocks are processed one at a time, in order.
import zlib from "node:zlib";
import { SPDY3_DICTIONARY } from "./spdy-dictionary.js";
import { SpdyProtocolError, decodeHeaderBlock, encodeHeaderBlock, type SpdyHeaders } from "./spdy-frames.js";

/** A zlib stream fed one block at a time: what each block turns into, with the context kept. */
class BlockCodec {
  private tail: Promise<unknown> = Promise.resolve();
  private output: Buffer[] = [];
  private failure?: Error;

  constructor(private readonly stream: zlib.Deflate | zlib.Inflate) {
    stream.on("data", (chunk: Buffer) => this.output.push(chunk));
    stream.on("error", (err: Error) => (this.failure = err));
  }

  run(block: Buffer): Promise<Buffer> {
    const result = this.tail.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failure) return reject(this.failure);
          // A broken block errors the stream, and then the flush never completes.
          const failed = (err: Error) => reject(err);
          this.stream.once("error", failed);
          this.stream.write(block);
          this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.stream.off("error", failed);
            if (this.failure) return reject(this.failure);
            const out = Buffer.concat(this.output);
            this.output = [];
            resolve(out);
          });
        }),
    );
    this.tail = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** Compresses this side's header blocks. */
export class HeaderCompressor {
  private readonly codec = new BlockCodec(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }));

  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.codec.run(encodeHeaderBlock(headers));
  }

  close(): void {
    this.codec.close();
  }
}

/** Inflates the peer's header blocks; every block must pass through, even of frames that are ignored, to keep the context in step. */
export class HeaderDecompressor {
  private readonly codec = new BlockCodec(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));

  async decompress(block: Buffer): Promise<SpdyHeaders> {
    // An empty block (allowed in SYN_REPLY by some peers) leaves the context as it is.
    if (block.length === 0) return {};
    let raw: Buffer;
    try {
      raw = await this.codec.run(block);
    } catch (err) {
      throw new SpdyProtocolError(`header block does not inflate: ${(err as Error).message}`);
    }
    return decodeHeaderBlock(raw);
  }

  close(): void {
    this.codec.close();
  }
}
