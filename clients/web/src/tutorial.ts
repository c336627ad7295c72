// sinabs' "Spike Count Visualization" tutorial: the network (one 16x16
// kernel, feature 0 = top half, feature 1 = bottom half) and its input
// (DvsEvents every 200 us from 5 ms to 5.005 s, top half for the first
// 2.5 s, bottom half after: 25001 events). Same as speckctl's demo.
import type { SpeckConfiguration } from "./gen/proto/speckd/v1/config";
import type { DvsEventBatch } from "./gen/proto/speckd/v1/events";

export function tutorialConfiguration(): SpeckConfiguration {
  const weights: number[] = [];
  for (let f = 0; f < 2; f++) {
    for (let x = 0; x < 16; x++) {
      for (let y = 0; y < 16; y++) weights.push((y < 8) === (f === 0) ? 127 : 0);
    }
  }
  const vec = (x: number, y: number) => ({ x, y });
  return {
    cnnLayers: [
      {
        dimensions: {
          inputShape: { size: vec(16, 16), featureCount: 1 },
          outputShape: { size: vec(1, 1), featureCount: 2 },
          padding: vec(0, 0),
          stride: vec(1, 1),
          kernelSize: 16,
        },
        weights,
        biases: [0, 0],
        neuronsInitialValue: [],
        thresholdHigh: 127,
        thresholdLow: -127,
        returnToZero: false,
        leakEnable: false,
        leakInternalSlowClkEnable: false,
        monitorEnable: true,
        inputCongestionBalancerEnable: false,
        outputDecimatorEnable: false,
        outputDecimatorInterval: 0,
        destinations: [],
      },
    ],
    dvsLayer: {
      destinations: [{ layer: 0, enable: true, pooling: 1, featureShift: 0 }],
      merge: true,
      pooling: vec(1, 1),
      origin: vec(0, 0),
      cut: vec(15, 15),
      mirrorDiagonal: false,
      passSensorEvents: false,
      monitorEnable: true,
      rawMonitorEnable: false,
    },
  };
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
