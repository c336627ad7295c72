// Activity heatmap: one count map per frame interval (the DVS layer, or any
// core's output map), drawn on a canvas at the map's own resolution and
// scaled up by CSS (image-rendering: pixelated).
import type { ActivityFrame } from "../gen/proto/speckd/v1/events";

// A perceptual colour ramp (dark blue -> green -> yellow), 256 entries.
const RAMP: Uint8ClampedArray = (() => {
  const stops = [
    [13, 8, 135], [84, 2, 163], [139, 10, 165], [185, 50, 137],
    [219, 92, 104], [244, 136, 73], [254, 188, 43], [240, 249, 33],
  ];
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const pos = (i / 255) * (stops.length - 1);
    const k = Math.min(Math.floor(pos), stops.length - 2);
    const t = pos - k;
    for (let c = 0; c < 3; c++) {
      lut[i * 3 + c] = stops[k][c] + (stops[k + 1][c] - stops[k][c]) * t;
    }
  }
  return lut;
})();

export class Heatmap {
  private readonly context: CanvasRenderingContext2D;
  private pending: ActivityFrame | undefined;
  private image: ImageData | undefined;
  framesDrawn = 0;
  lastTotal = 0;

  constructor(private readonly canvas: HTMLCanvasElement,
              private readonly caption: HTMLElement) {
    this.context = canvas.getContext("2d")!;
  }

  // Called per frame message; drawing waits for the next animation frame.
  push(frame: ActivityFrame): void {
    this.pending = frame;
  }

  // Returns whether something was drawn.
  draw(): boolean {
    const frame = this.pending;
    if (!frame) return false;
    this.pending = undefined;
    const { width, height } = frame;
    if (width === 0 || height === 0) return false;
    if (this.canvas.width !== width || this.canvas.height !== height || !this.image) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.image = this.context.createImageData(width, height);
    }
    let max = 1;
    for (const c of frame.counts) max = Math.max(max, c);
    const data = this.image.data;
    for (let i = 0; i < width * height; i++) {
      const v = frame.counts[i] ?? 0;
      // Square-root scaling keeps sparse pixels visible next to busy ones.
      const level = v === 0 ? 0 : Math.max(40, Math.round(255 * Math.sqrt(v / max)));
      data[i * 4] = v === 0 ? 8 : RAMP[level * 3];
      data[i * 4 + 1] = v === 0 ? 8 : RAMP[level * 3 + 1];
      data[i * 4 + 2] = v === 0 ? 16 : RAMP[level * 3 + 2];
      data[i * 4 + 3] = 255;
    }
    this.context.putImageData(this.image, 0, 0);
    this.framesDrawn += 1;
    this.lastTotal = frame.total;
    const layer = frame.layer === 13 ? "DVS layer" : `core ${frame.layer}`;
    this.caption.textContent =
      `${layer} · ${width}×${height} · ${frame.total} events in ` +
      `${((frame.windowEndUs - frame.windowStartUs) / 1000).toFixed(0)} ms · t = ` +
      `${(frame.windowStartUs / 1e6).toFixed(2)} s`;
    return true;
  }
}
