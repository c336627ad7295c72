// Spike count per class over time, like samnagui's spike-count plot: one
// line per feature, one point per window, the last `spanS` seconds.
import type uPlot from "uplot";
import type { SpikeCount } from "../gen/proto/speckd/v1/events";
import { fitWidth, lineChart } from "./chart";
import type { PlotOptions } from "./chart";

// sinabs' tutorial sets these (samnagui's SpikeCountPlotConfiguration).
export const SAMNA_SPIKE_COUNT_PLOT: PlotOptions = {
  defaultYMax: 10, maxYRate: 1.2, labelIntervalS: 2.5, showPoints: true,
};

// History kept for redrawing with a longer span (10 min of 50 ms windows).
const KEEP_WINDOWS = 12000;

export class CountsChart {
  private plot: uPlot | undefined;
  private times: number[] = [];
  private series: number[][] = [];
  private dirty = false;
  // Every window received, for tests and the summary line.
  readonly windows: { startUs: number; counts: number[] }[] = [];

  constructor(private readonly host: HTMLElement,
              private readonly summary: HTMLElement,
              private labels: string[],
              private spanS = 25,
              private options: PlotOptions = SAMNA_SPIKE_COUNT_PLOT) {}

  // New plot settings: the plot is rebuilt, its data kept.
  setOptions(options: PlotOptions): void {
    this.options = options;
    this.plot?.destroy();
    this.plot = this.newPlot();
    this.dirty = true;
  }

  get plotOptions(): PlotOptions { return this.options; }
  // The y axis' top as drawn (tests).
  get yMax(): number | undefined { return this.plot?.scales.y.max ?? undefined; }

  private newPlot(): uPlot {
    return lineChart(this.host, { width: 600, height: 220 }, "spikes per window", this.labels, 2,
                     this.options);
  }

  // Shows the last `seconds` (Infinity: everything since the epoch began).
  setSpan(seconds: number): void {
    this.spanS = seconds;
    this.dirty = true;
  }

  reset(labels: string[]): void {
    this.labels = labels;
    this.times = [];
    this.series = labels.map(() => []);
    this.windows.length = 0;
    this.plot?.destroy();
    this.plot = this.newPlot();
    this.dirty = true;
  }

  push(window: SpikeCount): void {
    const t = window.windowStartUs / 1e6;
    // A new epoch (stop watch reset) starts the picture over.
    if (this.times.length && t < this.times[this.times.length - 1]) this.reset(this.labels);
    // A run of empty windows comes as one: draw it as zeros from its first
    // window to its last (two points, however long the run).
    const empty = window.emptyWindowsBefore;
    if (empty > 0) {
      const interval = (window.windowEndUs - window.windowStartUs) / 1e6;
      this.point(t - empty * interval, []);
      if (empty > 1) this.point(t - interval, []);
    }
    this.point(t, window.counts);
    this.windows.push({ startUs: window.windowStartUs, counts: [...window.counts] });
    if (this.windows.length > KEEP_WINDOWS) this.windows.shift();
    const parts = this.labels.map((l, i) => `${l} ${window.counts[i] ?? 0}`);
    this.summary.textContent = `window ${(t * 1000).toFixed(0)} ms: ${parts.join(" · ")}`;
    this.dirty = true;
  }

  private point(t: number, counts: readonly number[]): void {
    this.times.push(t);
    this.labels.forEach((_, i) => this.series[i].push(counts[i] ?? 0));
    // The span only limits what is drawn: changing it shows older windows
    // again, up to a bounded history.
    if (this.times.length > KEEP_WINDOWS) {
      this.times.shift();
      this.series.forEach((s) => s.shift());
    }
  }

  draw(): boolean {
    if (!this.dirty || !this.plot) return false;
    this.dirty = false;
    const last = this.times[this.times.length - 1] ?? 0;
    let first = 0;
    while (first < this.times.length && this.times[first] < last - this.spanS) first++;
    this.plot.setData([this.times.slice(first), ...this.series.map((s) => s.slice(first))]);
    return true;
  }

  resize(): void {
    if (this.plot) fitWidth(this.plot, this.host);
  }
}
