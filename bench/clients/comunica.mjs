// Run each query of a JSON list against a SPARQL endpoint with Comunica; print one JSON object of answers.
// usage: node comunica.mjs ENDPOINT_URL QUERIES.json
import { readFileSync } from "node:fs";
import { QueryEngine } from "@comunica/query-sparql";

const [endpoint, file] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(file, "utf8"));
const engine = new QueryEngine();
const context = { sources: [{ type: "sparql", value: endpoint }], lenient: false };
const term = (t) => (t.termType === "BlankNode" ? "_:" : "") + (t.termType === "Literal"
  ? JSON.stringify([t.value, t.language || t.datatype.value]) : t.value);
const out = {};
for (const [name, query] of Object.entries(queries)) {
  const result = await engine.query(query, context);
  if (result.resultType === "boolean") {
    out[name] = await result.execute();
  } else if (result.resultType === "bindings") {
    const rows = await (await result.execute()).toArray();
    out[name] = rows.map((b) => Object.fromEntries([...b].map(([k, v]) => [k.value, term(v)])));
  } else {
    const quads = await (await result.execute()).toArray();
    out[name] = quads.map((q) => [term(q.subject), term(q.predicate), term(q.object)]);
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
