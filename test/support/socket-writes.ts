/**
 * Counts the writes a socket hands to the operating system: one per
 * `_write` or `_writev`, however many `write()` calls they carry. Used to
 * check that writes are batched (src/batched-writes.ts).
 */
export function countWrites(socket: object): () => number {
  let n = 0;
  const s = socket as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  for (const name of ['_write', '_writev'] as const) {
    const original = s[name];
    s[name] = function (this: unknown, ...a: unknown[]) {
      n++;
      return Reflect.apply(original, this, a);
    };
  }
  return () => n;
}
