/**
 * The assertions the tests use, on top of node:assert (no @std here: JSR is unreachable).
 */

import assert from "node:assert/strict";

/** Deep equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

/** Deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  assert.notDeepStrictEqual(actual, expected, message);
}

/** Truthiness. */
export function assert_(value: unknown, message?: string): asserts value {
  assert.ok(value, message);
}
export { assert_ as assert };

/** `actual` matches the regular expression. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  assert.match(actual, pattern, message);
}

/** `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  if (!actual.includes(expected)) {
    throw new assert.AssertionError({
      message: message ??
        `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
      actual,
      expected,
    });
  }
}

/** `fn` throws an instance of `type`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
  message?: string,
): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw new assert.AssertionError({
      message: message ?? `Expected ${type.name}, got ${String(err)}`,
    });
  }
  throw new assert.AssertionError({ message: message ?? `Expected ${type.name} to be thrown` });
}

/** `fn` rejects with an instance of `type`; returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  message?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw new assert.AssertionError({
      message: message ?? `Expected ${type.name}, got ${String(err)}`,
    });
  }
  throw new assert.AssertionError({ message: message ?? `Expected ${type.name} to be rejected` });
}
