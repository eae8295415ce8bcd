// kemu events: kubectl events (pkg/cmd/events) — the namespace's events
// oldest first, --for KIND/NAME, --types Normal,Warning, -A, -w.
import type { Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { resourceByName } from "../../api/resources.js";
import type { Event } from "../../api/types.js";
import { nameOption } from "../options.js";
import { eventRow, parseEventTypes, renderEvents } from "../events.js";
import { columnWidths, formatTable } from "../printers.js";
import { requireResource } from "./objects.js";

export function registerEventsCommand(program: Command): void {
  program
    .command("events")
    .description("list events oldest first, like kubectl events (--for KIND/NAME, --types Warning)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-A, --all-namespaces", "events of every namespace")
    .option("--for <object>", "only events about this object, in KIND/NAME form (pod/web)")
    .option("--types <types>", "only events of these types: Normal, Warning (comma-separated)")
    .option("-w, --watch", "after the list, print new events as they come")
    .option("--no-headers", "leave out the header line")
    .addOption(nameOption())
    .action(async (opts: { namespace: string; allNamespaces?: boolean; for?: string; types?: string; watch?: boolean; headers: boolean; name?: string }) => {
      let types: string[] | undefined;
      try {
        types = parseEventTypes(opts.types);
      } catch (err) {
        throw new KemuError(`--types: ${(err as Error).message}`);
      }
      let forObject: { kind: string; name: string } | undefined;
      if (opts.for !== undefined) {
        const [kind, name, ...rest] = opts.for.split("/");
        if (!kind || !name || rest.length) throw new KemuError(`--for must be in resource/name form, got ${JSON.stringify(opts.for)}`);
        forObject = { kind: requireResource(kind).kind, name };
      }
      const wanted = (e: Event) =>
        (!types || types.includes((e.type ?? "").toLowerCase())) && (!forObject || (e.involvedObject?.kind === forObject.kind && e.involvedObject?.name === forObject.name));
      const events = resourceByName("events")!;
      const namespace = opts.allNamespaces ? undefined : opts.namespace;
      const cluster = Cluster.connect(opts.name);
      const list = await cluster.api.list<Event>(events, { namespace });
      const items = list.items.filter(wanted);
      const view = { allNamespaces: opts.allNamespaces, noHeaders: !opts.headers };
      if (items.length === 0 && !opts.watch) {
        process.stderr.write(opts.allNamespaces ? "No events found.\n" : `No events found in ${opts.namespace} namespace.\n`);
      } else if (items.length > 0) {
        process.stdout.write(renderEvents(items, { ...view, now: Date.now() }));
      }
      if (!opts.watch) {
        cluster.api.close();
        return;
      }
      // -w: each new or updated event as a row, in the widths printed so far.
      const header = [...(opts.allNamespaces ? ["NAMESPACE"] : []), "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
      const printed = items.map((e) => eventRow(e, { now: Date.now(), allNamespaces: opts.allNamespaces }));
      let widths = columnWidths(items.length && !view.noHeaders ? [header, ...printed] : printed);
      let headerDone = items.length > 0 || view.noHeaders;
      await new Promise<void>((resolve, reject) => {
        cluster.api.watch(
          events,
          { namespace, resourceVersion: list.metadata.resourceVersion },
          (ev) => {
            if ((ev.type !== "ADDED" && ev.type !== "MODIFIED") || !wanted(ev.object as Event)) return;
            const rows = [eventRow(ev.object as Event, { now: Date.now(), allNamespaces: opts.allNamespaces })];
            if (!headerDone) rows.unshift(header);
            headerDone = true;
            widths = columnWidths(rows, widths);
            process.stdout.write(formatTable(rows, widths));
          },
          (err) => (err ? reject(err) : resolve()),
        );
      });
      cluster.api.close();
    });
}
