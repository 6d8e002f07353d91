// `node --import ./register_ts.mjs script.ts`: installs ts_hooks.mjs for the process.
import { register } from "node:module";

register("./ts_hooks.mjs", import.meta.url);
