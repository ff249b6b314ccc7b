#!/usr/bin/env node
// Copy the vendored browser assets from node_modules/ into the Django static tree.
//
//   npm ci && node build.mjs            -> ../cyclecrm/web/static/vendor/
//   node build.mjs --out /some/dir      -> /some/dir
//
// No bundler: every file is shipped as its upstream pre-built dist file. Source maps
// referenced by a `sourceMappingURL` comment are copied too, because Django's
// ManifestStaticFilesStorage (used by WhiteNoise in production) rewrites those
// references during collectstatic and fails if the target file is missing.
// The output directory is generated and git-ignored; it is wiped on every build.

import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nm = join(here, "node_modules");

const outArg = process.argv.indexOf("--out");
const outDir =
  outArg !== -1 && process.argv[outArg + 1]
    ? resolve(process.argv[outArg + 1])
    : resolve(here, "..", "cyclecrm", "web", "static", "vendor");

// [package, source path inside the package, destination path inside outDir]
// A source ending in "/" is a directory copied recursively.
const FILES = [
  ["htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"],
  ["htmx.org", "LICENSE", "htmx/LICENSE"],

  ["bootstrap", "dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"],
  ["bootstrap", "dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"],
  ["bootstrap", "dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"],
  ["bootstrap", "dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"],
  ["bootstrap", "LICENSE", "bootstrap/LICENSE"],

  // The CSS references url("fonts/bootstrap-icons.woff2?..."): keep fonts/ beside it.
  ["bootstrap-icons", "font/bootstrap-icons.min.css", "bootstrap-icons/bootstrap-icons.min.css"],
  ["bootstrap-icons", "font/fonts/", "bootstrap-icons/fonts/"],
  ["bootstrap-icons", "LICENSE", "bootstrap-icons/LICENSE"],

  ["chart.js", "dist/chart.umd.min.js", "chartjs/chart.umd.min.js"],
  ["chart.js", "dist/chart.umd.min.js.map", "chartjs/chart.umd.min.js.map"],
  ["chart.js", "LICENSE.md", "chartjs/LICENSE.md"],

  // Chart types Chart.js lacks: the cohort heatmap (matrix) and the funnel.
  ["chartjs-chart-matrix", "dist/chartjs-chart-matrix.min.js", "chartjs/chartjs-chart-matrix.min.js"],
  ["chartjs-chart-matrix", "dist/chartjs-chart-matrix.min.js.map", "chartjs/chartjs-chart-matrix.min.js.map"],
  ["chartjs-chart-matrix", "LICENSE", "chartjs/LICENSE-matrix"],
  ["chartjs-chart-funnel", "build/index.umd.min.js", "chartjs-funnel/index.umd.min.js"],
  ["chartjs-chart-funnel", "build/index.umd.min.js.map", "chartjs-funnel/index.umd.min.js.map"],
  ["chartjs-chart-funnel", "LICENSE", "chartjs-funnel/LICENSE"],

  ["sortablejs", "Sortable.min.js", "sortablejs/Sortable.min.js"],
  ["sortablejs", "LICENSE", "sortablejs/LICENSE"],
];

function fail(msg) {
  console.error(`build.mjs: ${msg}`);
  process.exit(1);
}

if (!existsSync(nm)) fail(`${nm} is missing: run \`npm ci\` in ${here} first`);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const versions = {};
for (const [pkg, src, dest] of FILES) {
  const pkgDir = join(nm, pkg);
  const from = join(pkgDir, src);
  const to = join(outDir, dest);
  if (!existsSync(from)) fail(`missing ${from} (did the ${pkg} package layout change?)`);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: src.endsWith("/") });
  versions[pkg] ??= JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
}

// Every sourceMappingURL and relative url() in the copied min files must resolve, or
// collectstatic with a manifest storage fails later, far from the cause.
for (const [, src, dest] of FILES) {
  if (!/\.(css|js)$/.test(src)) continue;
  const file = join(outDir, dest);
  const text = readFileSync(file, "utf8");
  const refs = [...text.matchAll(/sourceMappingURL=([^\s*]+)/g)].map((m) => m[1]);
  for (const m of text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) {
    if (!/^(data:|https?:|\/\/|#)/.test(m[1])) refs.push(m[1]);
  }
  for (const ref of refs) {
    const target = join(dirname(file), ref.split(/[?#]/)[0]);
    if (!existsSync(target)) fail(`${dest} references ${ref}, which was not copied`);
  }
}

// A small manifest so the Django side (or a human) can see what is vendored.
const manifest = { versions, files: {} };
for (const [, , dest] of FILES) {
  if (dest.endsWith("/")) continue;
  const sha = createHash("sha256").update(readFileSync(join(outDir, dest))).digest("hex");
  manifest.files[dest] = sha;
}
writeFileSync(join(outDir, "versions.json"), JSON.stringify(manifest, null, 2) + "\n");

console.log(
  `vendored ${Object.entries(versions)
    .map(([p, v]) => `${p}@${v}`)
    .join(", ")} -> ${outDir}`,
);
