// The dashboard's line charts (spike counts, power): uPlot over time in
// seconds, one line per label, in the page's dark theme.
import uPlot from "uplot";

const COLORS = ["#4ea1ff", "#ff7a59", "#5ad17a", "#c77dff", "#ffd166", "#06d6a0",
                "#ef476f", "#118ab2"];

const axis = (label: string) => ({ label, stroke: "#aab", grid: { stroke: "#2a2f3a" } });

// samnagui's plot settings (SpikeCountPlotConfiguration): the y axis
// reaches max(defaultYMax, largest value x maxYRate); x labels every
// labelIntervalS seconds; a circle on every point when showPoints.
export interface PlotOptions {
  defaultYMax: number;
  maxYRate: number;
  labelIntervalS: number;
  showPoints: boolean;
}

// As wide as `host` (`width` until it is laid out), `height` tall.
export function lineChart(host: HTMLElement, size: { width: number; height: number },
                          yLabel: string, labels: string[], lineWidth: number,
                          options?: PlotOptions): uPlot {
  const x = axis("time (s)");
  return new uPlot(
    {
      width: host.clientWidth || size.width,
      height: size.height,
      scales: {
        x: { time: false },
        ...(options ? { y: { range: (_u: uPlot, _min: number, max: number) =>
          [0, Math.max(options.defaultYMax, max * options.maxYRate)] as uPlot.Range.MinMax } } : {}),
      },
      axes: [options ? { ...x, incrs: [options.labelIntervalS] } : x, axis(yLabel)],
      series: [{}, ...labels.map((label, i) => ({
        label, stroke: COLORS[i % COLORS.length], width: lineWidth,
        points: { show: options?.showPoints ?? false },
      }))],
    },
    [[], ...labels.map(() => [])],
    host,
  );
}

// Follows the host's width (window resizes).
export function fitWidth(plot: uPlot, host: HTMLElement): void {
  plot.setSize({ width: host.clientWidth || plot.width, height: plot.height });
}
