// Copies the pinned npm front-end files into portal/static/vendor and compiles the
// portal stylesheet, so the app serves everything itself (no CDN, nothing committed).
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import * as sass from "sass";

const vendor = "portal/static/vendor";
mkdirSync(vendor, { recursive: true });
cpSync("node_modules/htmx.org/dist/htmx.min.js", `${vendor}/htmx.min.js`);
cpSync(
  "node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js",
  `${vendor}/govuk-frontend.min.js`,
);
cpSync("node_modules/govuk-frontend/dist/govuk/assets/images/favicon.ico", `${vendor}/favicon.ico`);

const result = sass.compile("assets/portal.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(`${vendor}/portal.css`, result.css);
console.log("assets built in", vendor);
