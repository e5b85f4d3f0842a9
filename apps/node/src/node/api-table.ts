// The README's table of JSON-RPC methods, made from the catalog and the declared parameters (a test
// checks that the README holds exactly this table).
import { CATALOG } from "./api-catalog.js";
import { paramJsonSchema } from "./api-params.js";

export function apiMarkdownTable(): string {
  const rows = Object.entries(CATALOG).map(([name, d]) => [
    `\`${name}\`${d.ours ? " (ours)" : ""}`,
    d.api,
    paramJsonSchema(name)?.name ?? "",
    d.summary,
  ]);
  const head = ["method", "API", "params", "meaning"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}
