// Prints the README's table of JSON-RPC methods: `node --import tsx scripts/api-table.ts`.
import { apiMarkdownTable } from "../src/node/api-table.ts";

console.log(apiMarkdownTable());
