// `-o custom-columns=HEADER:PATH,…` as kubectl prints it (kubectl
// pkg/cmd/get/customcolumn.go): each PATH is a relaxed JSONPath (".a.b",
// "a.b", "{.a.b}"), a cell joins the values found with ",", "<none>" when
// nothing is found, values printed as fmt.Sprint prints them. Pure.
import { KemuError } from "../cluster.js";
import { findResults, goSprint, parseJsonPath, type JsonPathTemplate } from "./jsonpath.js";
import { formatTable } from "./printers.js";

export interface CustomColumn {
  header: string;
  /** The path as given, for messages. */
  path: string;
  template: JsonPathTemplate;
}

/** kubectl's RelaxedJSONPathExpression: "a.b", ".a.b", "{a.b}" and "{.a.b}" all become "{.a.b}". */
export function relaxedJsonPath(path: string): string {
  if (path === "") return path;
  const m = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(path);
  if (!m) throw new KemuError(`unexpected path string ${JSON.stringify(path)}, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'`);
  return `{.${m[1] ?? m[2]}}`;
}

/** Parses "NAME:.metadata.name,IP:.status.podIP". */
export function parseCustomColumns(spec: string): CustomColumn[] {
  return spec.split(",").map((part) => {
    const colon = part.indexOf(":");
    if (colon < 0) throw new KemuError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    const header = part.slice(0, colon);
    const path = part.slice(colon + 1);
    try {
      return { header, path, template: parseJsonPath(relaxedJsonPath(path)) };
    } catch (err) {
      throw new KemuError(`custom-columns ${header}: ${(err as Error).message}`);
    }
  });
}

/** One cell: the values found, joined with ","; "<none>" when none. */
export function customColumnCell(column: CustomColumn, obj: unknown): string {
  const results = findResults(column.template, obj, { allowMissingKeys: true });
  if (results.length === 0 || results[0]!.length === 0) return "<none>";
  return results.flatMap((values) => values.map(goSprint)).join(",");
}

/** The table: headers as given (kubectl does not upper-case them), then a row per object. */
export function renderCustomColumns(columns: CustomColumn[], objects: unknown[], opts: { noHeaders?: boolean } = {}): string {
  const rows = objects.map((o) => columns.map((c) => customColumnCell(c, o)));
  return formatTable(opts.noHeaders ? rows : [columns.map((c) => c.header), ...rows]);
}
