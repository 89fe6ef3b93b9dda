// Starts PGlite's wire-protocol server (pglite-socket's server script, same arguments) for the gallery store's tests.
// Usage: node serve.mjs -p PORT -h 127.0.0.1 -d DATA_DIR -e @electric-sql/pglite-pgvector:vector [-m N]
//
// Two additions to the stock script:
// 1. It exits when its standard input closes: the process that started it holds the other end, so the server never
//    outlives it, even when that process is killed.
// 2. COPY ... FROM STDIN works. pglite-socket 0.2.17 hands each wire message to PGlite in its own call, but PGlite cannot
//    resume a COPY across calls (the server then hangs; upstream electric-sql/pglite pull request 1028). Here a
//    simple-protocol COPY FROM STDIN is answered at once with the CopyInResponse the client waits for, its CopyData
//    messages are held until CopyDone or CopyFail, and the whole sequence goes to PGlite in one call, whose own
//    CopyInResponse is then dropped from the reply. The statement must list its columns (the response counts them).
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();

const QUERY = 0x51, COPY_DATA = 0x64, COPY_DONE = 0x63, COPY_FAIL = 0x66, COPY_IN_RESPONSE = 0x47;
const copyFromStdin = /^\s*copy\s+[^(]+\(([^)]*)\)\s*from\s+stdin\b([\s\S]*)$/i;

/** The CopyInResponse a server sends for this COPY statement: overall format and one format per listed column. */
function copyInResponse(match) {
  const columns = match[1].split(',').length;
  const binary = /format\s+binary|\bbinary\b/i.test(match[2]) ? 1 : 0;
  const message = Buffer.alloc(1 + 4 + 1 + 2 + 2 * columns);
  message[0] = COPY_IN_RESPONSE;
  message.writeInt32BE(message.length - 1, 1);
  message[5] = binary;
  message.writeInt16BE(columns, 6);
  for (let i = 0; i < columns; i++) message.writeInt16BE(binary, 8 + 2 * i);
  return message;
}

/** The reply without its first CopyInResponse message (the client has had the synthesized one). */
function withoutCopyInResponse(reply) {
  for (let at = 0; at + 5 <= reply.length;) {
    const length = reply.readInt32BE(at + 1);
    if (reply[at] === COPY_IN_RESPONSE) return Buffer.concat([reply.subarray(0, at), reply.subarray(at + 1 + length)]);
    at += 1 + length;
  }
  return reply;
}

const attach = PGLiteSocketHandler.prototype.attach;
PGLiteSocketHandler.prototype.attach = function (socket) {
  const queue = this.queryQueue;
  let held = null;
  this.queryQueue = {
    enqueue(handlerId, message, onData) {
      if (held) {
        held.push(message);
        if (message[0] !== COPY_DONE && message[0] !== COPY_FAIL) return Promise.resolve(0);
        const sequence = new Uint8Array(Buffer.concat(held));
        held = null;
        const reply = [];
        return queue.enqueue(handlerId, sequence, (bytes) => reply.push(Buffer.from(bytes))).then(() => {
          const rest = withoutCopyInResponse(Buffer.concat(reply));
          if (rest.length > 0) onData(new Uint8Array(rest));
          return rest.length;
        });
      }
      if (message[0] === QUERY) {
        const match = copyFromStdin.exec(Buffer.from(message.subarray(5)).toString('utf8').replace(/\0+$/, ''));
        if (match) {
          held = [message];
          onData(new Uint8Array(copyInResponse(match)));
          return Promise.resolve(0);
        }
      }
      return queue.enqueue(handlerId, message, onData);
    },
    clearQueueForHandler: (handlerId) => { held = null; return queue.clearQueueForHandler(handlerId); },
    clearTransactionIfNeeded: (handlerId) => queue.clearTransactionIfNeeded(handlerId),
    getQueueLength: () => queue.getQueueLength(),
  };
  return attach.call(this, socket);
};

await import('./node_modules/@electric-sql/pglite-socket/dist/scripts/server.js');
