// Opens a YAML file in yaml-language-server (the engine of VS Code's YAML extension and of
// other editors' YAML support), as an editor does, and asks for its diagnostics and for the
// completions at a position. Prints them as JSON; with --html OUT, also writes the file with
// each problem underlined and a problems list, for a screenshot (see README.md here).
//   node check.mjs FILE [LINE CHARACTER] [--html OUT]
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const serverVersion = JSON.parse(readFileSync(new URL("./node_modules/yaml-language-server/package.json", import.meta.url))).version;

const args = process.argv.slice(2);
const htmlAt = args.indexOf("--html");
const htmlOut = htmlAt >= 0 ? args.splice(htmlAt, 2)[1] : null;
const [file, line, character] = args;
const uri = pathToFileURL(path.resolve(file)).href;
const server = spawn(process.execPath, [new URL("./node_modules/yaml-language-server/bin/yaml-language-server", import.meta.url).pathname, "--stdio"]);
let buffer = Buffer.alloc(0), id = 0;
const pending = new Map(), result = {};
function send(msg) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...msg }));
  server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  server.stdin.write(body);
}
function request(method, params) {
  return new Promise((resolve) => { pending.set(++id, resolve); send({ id, method, params }); });
}
server.stdout.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const head = buffer.indexOf("\r\n\r\n");
    if (head < 0) return;
    const length = Number(/Content-Length: (\d+)/.exec(buffer.slice(0, head).toString())[1]);
    if (buffer.length < head + 4 + length) return;
    const msg = JSON.parse(buffer.slice(head + 4, head + 4 + length).toString());
    buffer = buffer.slice(head + 4 + length);
    if (msg.id && pending.has(msg.id) && !msg.method) { pending.get(msg.id)(msg.result); pending.delete(msg.id); }
    else if (msg.method === "workspace/configuration") send({ id: msg.id, result: msg.params.items.map(() => ({ validate: true, completion: true, hover: true, schemaStore: { enable: false } })) });
    else if (msg.id && msg.method) send({ id: msg.id, result: null });
    else if (msg.method === "textDocument/publishDiagnostics" && msg.params.uri === uri) { result.diagnostics = msg.params.diagnostics; }
  }
});
await request("initialize", { processId: process.pid, rootUri: pathToFileURL(path.dirname(path.resolve(file))).href, capabilities: { workspace: { configuration: true }, textDocument: { completion: { completionItem: { snippetSupport: true } } } } });
send({ method: "initialized", params: {} });
send({ method: "workspace/didChangeConfiguration", params: { settings: { yaml: { validate: true, completion: true, schemaStore: { enable: false } } } } });
send({ method: "textDocument/didOpen", params: { textDocument: { uri, languageId: "yaml", version: 1, text: readFileSync(file, "utf8") } } });
await new Promise((r) => setTimeout(r, 3000));
if (line !== undefined) {
  const completion = await request("textDocument/completion", { textDocument: { uri }, position: { line: Number(line), character: Number(character) } });
  result.completion = (completion.items || completion).map((item) => item.label);
}
console.log(JSON.stringify(result, null, 1));
if (htmlOut) writeFileSync(htmlOut, renderHtml(readFileSync(file, "utf8"), result, path.basename(file)));
server.kill();
process.exit(0);

function escape(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// The file as an editor shows it: line numbers, problems underlined, a problems panel.
function renderHtml(text, { diagnostics = [], completion = [] }, name) {
  const lines = text.split("\n");
  const rows = lines.map((content, n) => {
    const marks = diagnostics.filter((d) => d.range.start.line === n)
      .sort((a, b) => a.range.start.character - b.range.start.character);
    let html = "", at = 0;
    for (const d of marks) {
      const { start, end } = d.range;
      const stop = end.line === n ? end.character : content.length;
      html += escape(content.slice(at, start.character));
      html += `<span class="bad" title="${escape(d.message)}">${escape(content.slice(start.character, stop))}</span>`;
      at = stop;
    }
    html += escape(content.slice(at));
    return `<tr><td class="n">${n + 1}</td><td class="code">${html || " "}</td></tr>`;
  }).join("");
  const problems = diagnostics.map((d) => `<li><b>${name}:${d.range.start.line + 1}</b> ${escape(d.message)}</li>`).join("");
  const offered = completion.length ? `<div class="panel"><h2>Completions offered at the cursor</h2>${completion.map((c) => `<code>${escape(c)}</code>`).join(" ")}</div>` : "";
  return `<!doctype html><meta charset="utf-8"><style>
    body { font: 14px system-ui, sans-serif; margin: 0; background: #1e1e1e; color: #d4d4d4; }
    table { border-collapse: collapse; font: 13px monospace; margin: 8px 0; }
    td.n { color: #858585; text-align: right; padding: 0 12px; user-select: none; }
    td.code { white-space: pre; }
    .bad { text-decoration: underline wavy #f14c4c; text-underline-offset: 3px; }
    .panel { border-top: 1px solid #444; padding: 4px 12px; }
    h1, h2 { font-size: 12px; text-transform: uppercase; color: #bbb; margin: 6px 0; }
    li { margin: 2px 0; } code { background: #333; padding: 1px 4px; }
  </style><h1 style="padding: 4px 12px">${escape(name)} — yaml-language-server ${serverVersion}</h1>
  <table>${rows}</table><div class="panel"><h2>Problems (${diagnostics.length})</h2><ul>${problems}</ul></div>${offered}`;
}
