/**
 * A value at once, or a promise of it: what a step of the request path returns when it can often answer
 * from memory. Awaiting costs a promise and a microtask turn per step, so the caller looks first and
 * waits only when it must.
 */
export type MaybePromise<T> = T | PromiseLike<T>;

/** Any thenable counts, so a promise from another realm (a test's VM, a native module) is not taken for a value. */
export function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
