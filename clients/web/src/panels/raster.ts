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
  private neurons = 1;
  private dirty = false;
  spikes = 0;

  constructor(private readonly canvas: HTMLCanvasElement,
              private readonly caption: HTMLElement,
              private readonly spanS = 5) {
    this.context = canvas.getContext("2d")!;
  }

  // neuronsPerLayer: features * height * width of the monitored core.
  configure(neurons: number): void {
    this.neurons = Math.max(1, neurons);
    this.size = 0;
    this.dirty = true;
  }

  push(batch: SpikeBatch, width: number, height: number): void {
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
    const w = (canvas.width = canvas.clientWidth || 600);
    const h = (canvas.height = canvas.clientHeight || 160);
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
