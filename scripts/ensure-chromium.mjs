#!/usr/bin/env node
// Makes sure Debian's chromium is installed for the viewer's browser tests (driven by playwright-core,
// which never downloads a browser of its own). As root it installs the package with apt-get; otherwise
// it says what to run. Exit 0 when /usr/bin/chromium is there afterwards, 1 when it is not.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

export const CHROMIUM = "/usr/bin/chromium";

function run(cmd, args) {
  console.error(`ensure-chromium: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 15 * 60 * 1000,
  });
  return r.status === 0;
}

if (existsSync(CHROMIUM)) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasApt = existsSync("/usr/bin/apt-get");
if (!isRoot || !hasApt) {
  console.error(
    `ensure-chromium: ${CHROMIUM} is missing; the viewer's browser tests need Debian's chromium. ` +
      (hasApt
        ? "Run as root: apt-get update && apt-get install -y chromium"
        : "Install chromium so that /usr/bin/chromium exists."),
  );
  process.exit(1);
}
if (
  !run("apt-get", ["update"]) ||
  !run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"])
) {
  console.error("ensure-chromium: apt-get could not install chromium");
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`ensure-chromium: chromium was installed but ${CHROMIUM} does not exist`);
  process.exit(1);
}
console.error(`ensure-chromium: installed ${CHROMIUM}`);
