// Parse AsyncAPI documents with the official parser (@asyncapi/parser) and
// report its diagnostics as JSON lines. Exit 0 when every document parsed
// without errors, 1 when any has an error, 2 on bad usage.
// Usage: node validate-asyncapi.cjs FILE...
"use strict";
const fs = require("node:fs");
const { Parser, DiagnosticSeverity } = require("@asyncapi/parser");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node validate-asyncapi.cjs FILE...");
    return 2;
  }
  const parser = new Parser();
  let failed = false;
  for (const file of files) {
    const { document, diagnostics } = await parser.parse(fs.readFileSync(file, "utf8"), { source: file });
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    if (document === undefined || errors.length > 0) failed = true;
    for (const d of diagnostics) {
      const level = ["error", "warning", "information", "hint"][d.severity] || String(d.severity);
      console.log(JSON.stringify({ file, level, code: d.code, message: d.message, path: d.path }));
    }
    console.log(JSON.stringify({ file, parsed: document !== undefined, errors: errors.length,
      version: document ? document.version() : null }));
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exit(2); },
);
