/** Test support shared by all folders. */

/** Runs `fn` and returns the error it throws; fails the test if it does not throw. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`threw a non-Error: ${String(e)}`, { cause: e });
  }
  throw new Error('expected an error, none was thrown');
}
