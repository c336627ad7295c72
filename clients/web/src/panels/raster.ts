// Output raster: one dot per spike, neuron index against time (the
// tutorial's matplotlib plot), the last `spanS` seconds.
import type { SpikeBatch } from "../gen/proto/speckd/v1/events";

const CAPACITY = 40000;

export class Raster {
  private readonly context: CanvasRenderingContext2D;
  private readonly t = new Float64Array(CAPACITY);
  private readonly n = new Int32Array(CAPACITY);
  private head = 0;
  private size = 0;
  private latest = 0;
  private width = 1;
  private height = 1;
  private neurons = 1;
  private dirty = false;
  spikes = 0;

  constructor(private readonly canvas: HTMLCanvasElement,
              private readonly caption: HTMLElement,
              private readonly spanS = 5) {
    this.context = canvas.getContext("2d")!;
  }

  // The monitored core's output map: one row per neuron.
  configure(features: number, width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.neurons = Math.max(1, features * width * height);
    this.size = 0;
    this.resize();
  }

  // Matches the canvas to its laid-out size; only here, as reading the
  // layout and reallocating the canvas on every frame would be costly.
  resize(): void {
    this.canvas.width = this.canvas.clientWidth || 600;
    this.canvas.height = this.canvas.clientHeight || 160;
    this.dirty = true;
  }

  push(batch: SpikeBatch): void {
    const { width, height } = this;
    for (let i = 0; i < batch.timestampUs.length; i++) {
      const t = batch.timestampUs[i] / 1e6;
      if (t < this.latest - 1) this.size = 0;  // a new epoch
      const index = (batch.feature[i] * height + batch.y[i]) * width + batch.x[i];
      this.t[this.head] = t;
      this.n[this.head] = index;
      this.head = (this.head + 1) % CAPACITY;
      this.size = Math.min(this.size + 1, CAPACITY);
      this.latest = t;
      this.spikes += 1;
    }
    this.dirty = true;
  }

  draw(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    const { canvas, context } = this;
    const { width: w, height: h } = canvas;
    context.fillStyle = "#10131a";
    context.fillRect(0, 0, w, h);
    const t0 = this.latest - this.spanS;
    context.fillStyle = "#ffd166";
    const rowH = Math.max(1, Math.min(8, h / this.neurons));
    for (let k = 0; k < this.size; k++) {
      const i = (this.head - 1 - k + CAPACITY) % CAPACITY;
      if (this.t[i] < t0) break;
      const x = ((this.t[i] - t0) / this.spanS) * w;
      const y = h - ((this.n[i] + 0.5) / this.neurons) * h;
      context.fillRect(x, y - rowH / 2, 1.5, rowH);
    }
    this.caption.textContent = `${this.neurons} neurons · last ${this.spanS} s · ` +
      `${this.spikes} spikes`;
    return true;
  }
}
