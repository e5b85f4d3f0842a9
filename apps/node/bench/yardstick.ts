// The benchmarks' yardstick (one core's crypto.verify rate), shared with `massa-ts load`.
export { ratio, verifyRate } from "../src/load/yardstick.ts";
