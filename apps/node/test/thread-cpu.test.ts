// A thread's CPU time from /proc: the calling thread's grows by the CPU it burns (as process.cpuUsage, an
// independent clock, sees it), another thread's by its own work and not by ours. Linux only.
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { currentThreadId, threadCpuSeconds, threadIds } from "../src/node/thread-cpu.ts";

/** Burns CPU on this thread until process.cpuUsage (user + system) has grown by `ms`. */
function burn(ms: number): number {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 100_000; i++) x = (x * 31 + i) | 0;
    const d = process.cpuUsage(start);
    if ((d.user + d.system) / 1000 >= ms) return x;
  }
}

describe.runIf(process.platform === "linux")("thread CPU time", () => {
  it("the main thread's id is the process id, and its CPU time grows by what it burns", () => {
    expect(currentThreadId()).toBe(process.pid);
    const before = threadCpuSeconds(process.pid)!;
    const p0 = process.cpuUsage();
    burn(300);
    const p = process.cpuUsage(p0);
    const grew = threadCpuSeconds(process.pid)! - before;
    // ticks of 10 ms; the process's clock also counts its other threads (GC helpers)
    expect(grew).toBeGreaterThanOrEqual(0.25);
    expect(grew).toBeLessThanOrEqual((p.user + p.system) / 1e6 + 0.02);
  });

  it("a worker thread has its own id and its own CPU time", async () => {
    const w = new Worker(
      `const { parentPort } = require("node:worker_threads");
       const { readlinkSync } = require("node:fs");
       // alive until terminated: with no listener left after its work, the thread would exit before the
       // test reads its CPU time (seen once on a loaded machine: NaN)
       setInterval(() => {}, 60000);
       parentPort.postMessage(Number(readlinkSync("/proc/thread-self").split("/").pop()));
       parentPort.once("message", () => {
         const s = process.cpuUsage(); let x = 0;
         while ((process.cpuUsage(s).user + process.cpuUsage(s).system) < 300000) for (let i = 0; i < 1e5; i++) x = (x * 31 + i) | 0;
         parentPort.postMessage(x);
       });`,
      { eval: true },
    );
    const tid = await new Promise<number>((r) => w.once("message", r));
    expect(tid).not.toBe(process.pid);
    // listed among this process's threads, and read the same by pid as through /proc/self
    expect(threadIds(process.pid)).toEqual(expect.arrayContaining([process.pid, tid]));
    const byPid = threadCpuSeconds(tid, process.pid)!;
    expect(Math.abs(byPid - threadCpuSeconds(tid)!)).toBeLessThanOrEqual(0.02); // a tick or two apart
    const before = threadCpuSeconds(tid)!;
    const mainBefore = threadCpuSeconds(process.pid)!;
    const done = new Promise((r) => w.once("message", r));
    w.postMessage("go");
    await done;
    expect(threadCpuSeconds(tid)! - before).toBeGreaterThanOrEqual(0.25);
    // the main thread only waited meanwhile
    expect(threadCpuSeconds(process.pid)! - mainBefore).toBeLessThan(0.2);
    await w.terminate();
    expect(threadCpuSeconds(tid)).toBeUndefined(); // gone with its thread
  });
});
