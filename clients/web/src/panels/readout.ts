// The readout layer: on top, its 15 classes at the latest slow-clock tick
// (the winner filled; with output_mode_sel 1 the classes above the
// threshold outlined); below, the winning class over the last `spanS`
// seconds, one dot per tick (class 0: no class above the threshold).
import type { ReadoutBatch } from "../gen/proto/speckd/v1/events";

const CLASSES = 15;
const CAPACITY = 20000;

// ReadoutValue.value: bit 20 valid, bits 19:16 the winning class, bits 15:0
// what output_mode_sel selects (mode 1: one bit per class above threshold).
export function decodeReadout(value: number): { valid: boolean; winner: number; low: number } {
  return { valid: ((value >>> 20) & 1) === 1, winner: (value >>> 16) & 0xf, low: value & 0xffff };
}

export class ReadoutPanel {
  private readonly context: CanvasRenderingContext2D;
  private readonly t = new Float64Array(CAPACITY);
  private readonly winner = new Uint8Array(CAPACITY);
  private head = 0;
  private size = 0;
  private latest = 0;
  private last = { winner: 0, low: 0, valid: false };
  private dirty = true;
  values = 0;
  pins = 0;

  constructor(private readonly canvas: HTMLCanvasElement,
              private readonly caption: HTMLElement,
              private readonly spanS = 10) {
    this.context = canvas.getContext("2d")!;
  }

  resize(): void {
    this.canvas.width = this.canvas.clientWidth || 400;
    this.canvas.height = this.canvas.clientHeight || 180;
    this.dirty = true;
  }

  push(batch: ReadoutBatch): void {
    for (const v of batch.values) {
      const t = v.timestampUs / 1e6;
      if (t < this.latest - 1) this.size = 0;  // a new epoch
      this.last = decodeReadout(v.value);
      this.t[this.head] = t;
      this.winner[this.head] = this.last.valid ? this.last.winner : 0;
      this.head = (this.head + 1) % CAPACITY;
      this.size = Math.min(this.size + 1, CAPACITY);
      this.latest = t;
      this.values += 1;
    }
    this.pins += batch.pins.length;
    this.dirty = true;
  }

  draw(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    const { canvas, context } = this;
    const { width: w, height: h } = canvas;
    context.fillStyle = "#10131a";
    context.fillRect(0, 0, w, h);
    // The 15 classes now.
    const cell = w / CLASSES;
    const top = 22;
    context.font = "10px sans-serif";
    context.textAlign = "center";
    for (let k = 1; k <= CLASSES; k++) {
      const x = (k - 1) * cell;
      const won = this.last.valid && this.last.winner === k;
      const above = (this.last.low >>> (k - 1)) & 1;
      context.fillStyle = won ? "#5ad17a" : "#1c2130";
      context.fillRect(x + 1, 1, cell - 2, top - 2);
      if (above && !won) {
        context.strokeStyle = "#5ad17a";
        context.strokeRect(x + 1.5, 1.5, cell - 3, top - 3);
      }
      context.fillStyle = won ? "#10131a" : "#aab";
      context.fillText(String(k - 1), x + cell / 2, 15);
    }
    // The winner over time.
    const t0 = this.latest - this.spanS;
    const rows = CLASSES + 1;
    const plotH = h - top - 4;
    context.fillStyle = "#ffd166";
    for (let i = 0; i < this.size; i++) {
      const j = (this.head - 1 - i + CAPACITY) % CAPACITY;
      if (this.t[j] < t0) break;
      const x = ((this.t[j] - t0) / this.spanS) * w;
      const y = h - 2 - ((this.winner[j] + 0.5) / rows) * plotH;
      context.fillRect(x - 1, y - 1, 3, 3);
    }
    this.caption.textContent = this.values === 0
      ? "no readout values yet (readout.monitor_enable sends them)"
      : `class ${this.last.valid ? this.last.winner - 1 : "–"} · ${this.values} ticks · ` +
        `${this.pins} pin events · last ${this.spanS} s`;
    return true;
  }
}
