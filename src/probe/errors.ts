// The probe's expected errors: bad options, bad --expect files, nothing to
// probe. They are KemuErrors, so the CLI prints one line and no stack.
import { KemuError } from "../errors.js";

export class ProbeError extends KemuError {
  constructor(message: string) {
    super(message);
    this.name = "ProbeError";
  }
}
