// events.k8s.io/v1 Events print as core/v1 Events do: upstream's printers
// are registered on the internal type, which both versions convert to
// (pkg/printers/internalversion printEvent), so the columns are the same.
import { eventFromV1 } from "../events-v1.js";
import { eventPrinter } from "./cluster.js";
import type { Printer } from "./types.js";

export const eventsV1Printer: Printer = {
  columns: eventPrinter.columns,
  cells: (obj, opts) => eventPrinter.cells(eventFromV1(obj), opts),
};
