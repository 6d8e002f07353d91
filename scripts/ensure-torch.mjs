#!/usr/bin/env node
// Makes sure Debian's python3-torch is installed for the tests that check our torch files with real
// torch (/usr/bin/python3, not a pyenv python on PATH). As root it installs the package with apt-get;
// otherwise it says what to run. Exit 0 when `/usr/bin/python3 -c "import torch"` works afterwards,
// 1 when it does not.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

export const PYTHON = "/usr/bin/python3";

function run(cmd, args) {
  console.error(`ensure-torch: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 15 * 60 * 1000,
  });
  return r.status === 0;
}

function hasTorch() {
  return spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore", timeout: 120 * 1000 }).status === 0;
}

if (hasTorch()) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasApt = existsSync("/usr/bin/apt-get");
if (!isRoot || !hasApt) {
  console.error(
    `ensure-torch: ${PYTHON} cannot import torch; the torch interop tests need Debian's python3-torch. ` +
      (hasApt
        ? "Run as root: apt-get update && apt-get install -y python3-torch"
        : `Install PyTorch for ${PYTHON} so that "${PYTHON} -c 'import torch'" works.`),
  );
  process.exit(1);
}
if (
  !run("apt-get", ["update"]) ||
  !run("apt-get", ["install", "-y", "--no-install-recommends", "python3-torch"])
) {
  console.error("ensure-torch: apt-get could not install python3-torch");
  process.exit(1);
}
if (!hasTorch()) {
  console.error(`ensure-torch: python3-torch was installed but ${PYTHON} still cannot import torch`);
  process.exit(1);
}
console.error(`ensure-torch: installed python3-torch for ${PYTHON}`);
