// What the package runs in: Node or a browser / worker, and Node's built-in modules when it is Node.

/** True in Node (and runtimes that present themselves as Node). */
export const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/**
 * A Node built-in module ('fs/promises', 'path', 'url'), loaded on demand. The specifier is computed so bundlers
 * leave it alone (a constant 'node:' + 'fs/promises' is folded by esbuild and then fails to resolve in a
 * browser build).
 */
export const nodeModule = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:' + name);
