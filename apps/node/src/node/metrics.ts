// The node's Prometheus metrics (served on the private API's /metrics).
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

export class NodeMetrics {
  readonly registry = new Registry();
  readonly currentPeriod: Gauge;
  readonly finalPeriod: Gauge;
  readonly blocksProduced: Counter;
  readonly operationsReceived: Counter;
  readonly poolOperations: Gauge;

  constructor() {
    const registers = [this.registry];
    // the standard process and Node gauges (RSS, heap by space, event-loop lag, GC), read at each scrape
    collectDefaultMetrics({ register: this.registry });
    this.currentPeriod = new Gauge({
      name: "massa_ts_current_period",
      help: "period of the current slot",
      registers,
    });
    this.finalPeriod = new Gauge({
      name: "massa_ts_final_period",
      help: "period of the last final slot",
      registers,
    });
    this.blocksProduced = new Counter({
      name: "massa_ts_blocks_produced_total",
      help: "blocks produced by this node",
      registers,
    });
    this.operationsReceived = new Counter({
      name: "massa_ts_operations_received_total",
      help: "operations accepted into the pool",
      registers,
    });
    this.poolOperations = new Gauge({
      name: "massa_ts_pool_operations",
      help: "operations in the pool",
      registers,
    });
    const metrics = this;
    new Gauge({
      name: "massa_ts_thread_busy_seconds",
      help: "time each of the node's threads has been busy (its event loop active) since it started",
      labelNames: ["thread"],
      registers,
      collect() {
        for (const [thread, ms] of Object.entries(metrics.threadBusy?.() ?? {}))
          this.set({ thread }, ms / 1000);
      },
    });
    new Gauge({
      name: "massa_ts_thread_cpu_seconds",
      help: "CPU time (user + system) each of the node's threads has used since it started (Linux only)",
      labelNames: ["thread"],
      registers,
      collect() {
        for (const [thread, s] of Object.entries(metrics.threadCpu?.() ?? {}))
          if (s !== undefined) this.set({ thread }, s);
      },
    });
    new Counter({
      name: "massa_ts_p2p_sent_bytes_total",
      help: "bytes sent to peers since the start (frames, sealed, with their headers)",
      registers,
      collect() {
        this.reset();
        this.inc(metrics.p2pTraffic?.().sent ?? 0);
      },
    });
    new Counter({
      name: "massa_ts_p2p_received_bytes_total",
      help: "bytes received from peers since the start",
      registers,
      collect() {
        this.reset();
        this.inc(metrics.p2pTraffic?.().received ?? 0);
      },
    });
    new Counter({
      name: "massa_ts_operation_gossip_total",
      help: "operation ids announced to peers, asked of peers, operations sent in answer to asks, ids asked again of another announcer",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(metrics.operationGossip?.() ?? {})) this.inc({ kind }, n);
      },
    });
    new Gauge({
      name: "massa_ts_execution_heap_used_bytes",
      help: "the execution thread's used JavaScript heap after its last tick (nodejs_heap_* count the main thread's)",
      registers,
      collect() {
        this.set(metrics.executionHeap?.() ?? 0);
      },
    });
  }

  /** The relay's operation gossip counters since the start (announced, asked, answered, reasked). */
  operationGossip: (() => Readonly<Record<string, number>>) | undefined;

  /** Bytes sent to and received from peers since the start (undefined before the network starts). */
  p2pTraffic: (() => { sent: number; received: number }) | undefined;

  /** The execution thread's used heap, bytes (the process gauges count the main thread's only). */
  executionHeap: (() => number) | undefined;

  /**
   * Busy time of the node's main and execution threads since it started, in ms: what a profile of a loaded
   * node divides by the operations it handled. (The signature verifiers are left out: a Piscina worker's
   * event loop counts its waits for work as busy.)
   */
  threadBusy: (() => Record<string, number>) | undefined;

  /**
   * CPU seconds of the node's main and execution threads since they started (Linux; undefined elsewhere):
   * unlike busy time, without the time a thread waited for a core. The rest of the process (signature
   * verifiers, V8's garbage-collection helpers, LMDB and libuv threads) is `process_cpu_seconds_total` less
   * these.
   */
  threadCpu: (() => Record<string, number | undefined>) | undefined;

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
