// sinabs' "Spike Count Visualization" tutorial: the network (one 16x16
// kernel, feature 0 = top half, feature 1 = bottom half) and its input
// (DvsEvents every 200 us from 5 ms to 5.005 s, top half for the first
// 2.5 s, bottom half after: 25001 events): the counts of speckctl's demo.
import { SpeckConfiguration } from "./gen/proto/speckd/v1/config";
import type { DvsEventBatch } from "./gen/proto/speckd/v1/events";
// The network as speckctl applies it (samna's field names, weights flat).
import network from "../../../examples/tutorial/config.json";

export function tutorialConfiguration(): SpeckConfiguration {
  return SpeckConfiguration.fromJson(network);
}

// Deterministic (a small LCG): every run shows the same picture.
export function tutorialEvents(rate = 5000, durationS = 5): DvsEventBatch {
  const n = Math.round(rate * durationS) + 1;
  const period = 1e6 / rate;
  const batch: DvsEventBatch = { timestampUs: [], x: [], y: [], p: [] };
  let seed = 12345;
  // A small LCG; its low bits repeat quickly, so use the high ones.
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor(seed / 65536);
  };
  for (let i = 0; i < n; i++) {
    const t = Math.round(5000 + i * period);
    const top = t < (durationS * 1e6) / 2;
    batch.timestampUs.push(t);
    batch.x.push(next() % 16);
    batch.y.push((top ? 0 : 8) + (next() % 8));
    batch.p.push(next() % 2 === 1);
  }
  return batch;
}
