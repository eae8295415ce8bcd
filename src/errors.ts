// The error kemu gives its users: one line that says what is wrong and what
// to do (the CLI prints it without a stack trace). Every layer can throw it.
export class KemuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KemuError";
  }
}
