/**
 * A CommonJS package loaded on its first use instead of at start-up.
 *
 * The email and SMPP libraries, LiquidJS and the dashboard are most of what
 * the gateway imports (~55 MiB of RSS and ~22 MiB of live heap together,
 * measured with `process.memoryUsage()` after a forced GC), and a gateway
 * that runs only SMS over HTTP providers never calls them. V8 lets the heap
 * grow in proportion to what is live, so they also raised the peak of every
 * busy process, not only its start. Loaded here, they cost only the
 * processes whose config uses them.
 *
 * `require` is synchronous, so call sites keep their shape (constructors,
 * pure functions); the first call pays the load, a few milliseconds.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `make`, called on the first call of the returned function only; later calls return its value. */
export function lazily<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/** `() => require(name)`, loaded once. Type it with the package's import type: `lazyPackage<typeof import('x')>('x')`. */
export function lazyPackage<T>(name: string): () => T {
  return lazily(() => require(name) as T);
}
