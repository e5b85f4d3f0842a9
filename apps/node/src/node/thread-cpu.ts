// The CPU time of one thread of this process, from Linux's /proc (Node 20 has no per-thread CPU clock):
// what a profile divides by the work done, without the time a busy thread spent waiting for a core, which
// event-loop busy time counts. Elsewhere than Linux: undefined.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on every Linux architecture Node runs on). */
const USER_HZ = 100;

/** The kernel's id of the calling thread (its `/proc/thread-self`), or undefined where there is none. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Seconds of CPU (user + system) thread `tid` of process `pid` (default: this one) has used, or undefined
 * if unknown.
 */
export function threadCpuSeconds(tid: number | undefined, pid: number | "self" = "self"): number | undefined {
  if (tid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "latin1");
    // fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** The thread ids of process `pid` (empty where /proc is not, or the process is gone). */
export function threadIds(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}
