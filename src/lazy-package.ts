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

/** `() => require(name)`, loaded once. Type it with the package's import type: `lazyPackage<typeof import('x')>('x')`. */
export function lazyPackage<T>(name: string): () => T {
  let loaded: { module: T } | undefined;
  return () => {
    loaded ??= { module: require(name) as T };
    return loaded.module;
  };
}
