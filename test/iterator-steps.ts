/**
 * Steps of array iterators taken while `fn` runs: a count of work that does not depend on the
 * machine's speed, for tests that a pass is linear (a quadratic one takes n^2 steps).
 */
export function iteratorSteps(fn: () => void): number {
  const proto = Object.getPrototypeOf([][Symbol.iterator]()) as { next: (...args: unknown[]) => unknown };
  const next = proto.next;
  let steps = 0;
  proto.next = function (this: unknown, ...args: unknown[]) {
    steps++;
    return next.apply(this, args);
  };
  try {
    fn();
  } finally {
    proto.next = next;
  }
  return steps;
}
