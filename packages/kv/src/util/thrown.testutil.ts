// Test helper: what a call throws, as a value, so a test can assert on the error's code and fields.

/** The value `f` throws, or undefined when it returns. */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
