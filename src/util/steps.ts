/**
 * Straight-line code over values that may or may not be Promises.
 *
 * Hooks and crypto providers may be asynchronous (WebCrypto, a remote
 * signer, a certificate store), but most are not, and a synchronous
 * handshake should stay synchronous: bytes in, events out, in the same call.
 * A step is written as a generator that `yield*`s `wait(x)` wherever `x`
 * might be a Promise; `run` drives it, synchronously for as long as nothing
 * it waits on is a Promise.
 */

export type MaybePromise<T> = T | Promise<T>;

/** A generator that yields values to wait for and returns T. */
export type Step<T> = Generator<unknown, T, unknown>;

/** Waits for `value` inside a step: `const x = yield* wait(maybeAsync())`. */
export function* wait<T>(value: MaybePromise<T>): Step<T> {
  return (yield value) as T;
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs a step. Returns its result directly when every awaited value was
 * ready, otherwise a Promise of it. Exceptions, sync or async, reach the
 * generator at the `wait` that caused them, so try/catch inside steps works.
 */
export function run<T>(step: Step<T>): MaybePromise<T> {
  return advance(step, { ok: true, value: undefined });
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function advance<T>(step: Step<T>, input: Outcome): MaybePromise<T> {
  let next = input;
  for (;;) {
    const r = next.ok ? step.next(next.value) : step.throw(next.error);
    if (r.done) return r.value;
    const v = r.value;
    if (isPromiseLike(v)) {
      return Promise.resolve(v).then(
        (value) => advance(step, { ok: true, value }),
        (error: unknown) => advance(step, { ok: false, error }),
      );
    }
    next = { ok: true, value: v };
  }
}
