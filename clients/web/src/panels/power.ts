// Power rails over time (the simulated devkit's power model).
import type uPlot from "uplot";
import type { MeasurementBatch } from "../gen/proto/speckd/v1/events";
import { fitWidth, lineChart } from "./chart";

const RAILS = ["io", "ram", "logic", "pixel digital", "pixel analog"];

export class PowerChart {
  private readonly plot: uPlot;
  private times: number[] = [];
  private rails: number[][] = RAILS.map(() => []);
  private dirty = false;
  samples = 0;

  constructor(private readonly host: HTMLElement, private readonly spanS = 10) {
    this.plot = lineChart(host, { width: 400, height: 180 }, "mW", RAILS, 1.5);
  }

  push(batch: MeasurementBatch): void {
    // Five channels per sample, in order.
    for (let i = 0; i + 4 < batch.timestampUs.length; i += 5) {
      const t = batch.timestampUs[i] / 1e6;
      if (this.times.length && t < this.times[this.times.length - 1]) {
        this.times = [];
        this.rails = RAILS.map(() => []);
      }
      this.times.push(t);
      for (let r = 0; r < 5; r++) this.rails[r].push((batch.value[i + r] ?? 0) * 1000);
      this.samples += 1;
    }
    while (this.times.length && this.times[0] < this.times[this.times.length - 1] - this.spanS) {
      this.times.shift();
      this.rails.forEach((r) => r.shift());
    }
    this.dirty = true;
  }

  draw(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    this.plot.setData([this.times, ...this.rails]);
    return true;
  }

  resize(): void {
    fitWidth(this.plot, this.host);
  }
}
