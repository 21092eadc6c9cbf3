/** The machine a run happened on, as RESULTS.md and docs/performance.md report it. */
import { readFileSync } from "node:fs";

/** What the table was measured on. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly os: string;
  readonly kernel: string;
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** CPU model and count from /proc/cpuinfo, distribution from /etc/os-release, kernel release. */
export function describeMachine(): Machine {
  const cpuinfo = read("/proc/cpuinfo");
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].trim() ?? "unknown CPU";
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? navigator.hardwareConcurrency;
  const os = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(read("/etc/os-release"))?.[1] ?? Deno.build.os;
  return { cpu, cores, os, kernel: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}` };
}
