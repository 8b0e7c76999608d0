/** The transport contract: a byte stream the engine reads into its own buffer and writes batches to. */

/** One connection (TCP, TLS or in-memory). */
export interface Connection {
  /** "host:port" of the other side, for logs and address checks. */
  readonly remoteAddr: string;
  /** The other side's IP (or a label for in-memory connections). */
  readonly remoteHost: string;
  /** Reads into `buf`; resolves with the byte count, or null at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes both directions; pending reads resolve null. Idempotent. */
  close(): void;
  /** The underlying Deno connection where there is one (socket options, TLS details). */
  readonly raw?: Deno.Conn;
}

/** A listening endpoint. */
export interface Listener extends AsyncIterable<Connection> {
  readonly port: number;
  readonly hostname: string;
  close(): void;
}
