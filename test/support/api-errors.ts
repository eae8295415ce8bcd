// The ApiError a synchronous API server call throws (tests check its code and message).
import { ApiError } from "../../src/api/errors.js";

export function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("did not throw");
}
