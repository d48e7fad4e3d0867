// Check YAML files the way an editor does: with the YAML language server's
// own language service (yaml-language-server, as in VS Code's YAML
// extension), which finds each file's schema through its
// "# yaml-language-server: $schema=..." modeline. Prints one JSON line per
// file: its diagnostics and the hover text of its first key (proof that a
// schema was applied). Only local files are read; no schema is fetched.
// Usage: node check-yaml-ls.mjs FILE...
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { getLanguageService } from "yaml-language-server";
import { TextDocument } from "vscode-languageserver-textdocument";

const schemaRequestService = async (uri) => {
  if (!uri.startsWith("file:")) throw new Error(`not fetching ${uri}: only local schemas`);
  return fs.readFileSync(fileURLToPath(uri), "utf8");
};
const workspaceContext = { resolveRelativePath: (rel, resource) => new URL(rel, resource).toString() };

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node check-yaml-ls.mjs FILE...");
    return 2;
  }
  const service = getLanguageService({ schemaRequestService, workspaceContext });
  service.configure({ validate: true, hover: true, completion: true, schemas: [] });
  for (const file of files) {
    const uri = pathToFileURL(path.resolve(file)).toString();
    const text = fs.readFileSync(file, "utf8");
    const doc = TextDocument.create(uri, "yaml", 1, text);
    const diagnostics = await service.doValidation(doc, false);
    const firstKey = text.split("\n").findIndex((line) => /^[a-z]/.test(line));
    const hover = firstKey < 0 ? null : await service.doHover(doc, { line: firstKey, character: 1 });
    const hoverText = hover && hover.contents ? (hover.contents.value ?? JSON.stringify(hover.contents)) : "";
    console.log(JSON.stringify({
      file,
      hover: hoverText,
      diagnostics: diagnostics.map((d) => ({
        line: d.range.start.line + 1, column: d.range.start.character + 1, severity: d.severity, message: d.message,
      })),
    }));
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exit(2); },
);
