// speckd's dashboard: live DVS/core activity, spike counts per class, an
// output raster and power, with the controls a lab user needs (load a
// configuration, reset the stop watch, run the sinabs tutorial).
import "uplot/dist/uPlot.min.css";
import "./style.css";
import {
  config, describe, devices, events, Lease, needsToken, onStreamNotice, saveToken, Subscription,
} from "./api";
import { SpeckConfiguration } from "./gen/proto/speckd/v1/config";
import type { ConfigProblem, CoreMemoryUsage } from "./gen/proto/speckd/v1/config";
import { ConfigProblem_Severity } from "./gen/proto/speckd/v1/config";
import { DeviceState, Pacing } from "./gen/proto/speckd/v1/device_service";
import { StreamNotice_Kind } from "./gen/proto/speckd/v1/events";
import type { SpikeCount, StreamNotice } from "./gen/proto/speckd/v1/events";
import type { Device } from "./gen/proto/speckd/v1/device_service";
import { CountsChart } from "./panels/counts";
import { Heatmap } from "./panels/heatmap";
import { PowerChart } from "./panels/power";
import { Raster } from "./panels/raster";
import { ReadoutPanel } from "./panels/readout";
import { RecordingsPanel } from "./panels/recordings";
import { tutorialConfiguration, tutorialEvents } from "./tutorial";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let deviceId = "";
const lease = new Lease(() => deviceId);

const heatmap = new Heatmap($("heatmap"), $("heatmap-caption"));
const counts = new CountsChart($("counts"), $("counts-summary"), ["class 0", "class 1"]);
const raster = new Raster($("raster"), $("raster-caption"));
const power = new PowerChart($("power"));
const readout = new ReadoutPanel($("readout"), $("readout-caption"));
const recordingsPanel = new RecordingsPanel(() => deviceId, $("record"),
                                            $("record-status"), $("recordings"));

// What the subscriptions follow: the device, its applied configuration's
// output core and the spike-count plot's controls.
interface View {
  deviceId: string;
  outputCore: number;
  features: number;
  width: number;
  height: number;
  labels: string[];
  cores: number[];
  intervalMs: number;
}
// The last configuration read from the device (undefined: none applied).
let appliedConfig: SpeckConfiguration | undefined;
// Names of the output classes, when known (the tutorial's halves).
let classLabels: string[] = [];

function status(text: string): void {
  $("control-status").textContent = text;
}
// speckd wants a token: the header asks for it (once per tab).
function askForToken(error: unknown): boolean {
  if (!needsToken(error)) return false;
  const form = $("token-form") as HTMLFormElement;
  if (form.hidden) {
    form.hidden = false;
    $("token-why").textContent = describe(error);
    form.onsubmit = (e) => {
      e.preventDefault();
      saveToken(($("token") as HTMLInputElement).value);
      window.location.reload();
    };
  }
  return true;
}
const report = (error: unknown) => {
  if (!askForToken(error)) status(describe(error));
};

function viewOf(cfg: SpeckConfiguration | undefined): View {
  const cores: number[] = [];
  let outputCore = 0;
  cfg?.cnnLayers.forEach((core, i) => {
    if ((core.dimensions?.outputShape?.featureCount ?? 0) > 0) {
      cores.push(i);
      // The last monitored core is the network's output.
      if (core.monitorEnable) outputCore = i;
    }
  });
  const out = cfg?.cnnLayers[outputCore]?.dimensions?.outputShape;
  const features = Math.max(1, out?.featureCount ?? 2);
  const labels = Array.from({ length: Math.min(features, 8) },
                            (_, i) => classLabels[i] ?? `class ${i}`);
  const intervalMs = Number(($("counts-interval") as HTMLSelectElement).value) || 50;
  return { deviceId, outputCore, features: Math.min(features, 8), width: out?.size?.x ?? 1,
           height: out?.size?.y ?? 1, labels, cores, intervalMs };
}

// The open streams by name, each with the inputs it was opened with.
const streams = new Map<string, { inputs: string; subscription: Subscription }>();

// Opens the named stream, or reopens it when its inputs changed.
function keep(name: string, inputs: object, open: () => Subscription): void {
  const key = JSON.stringify(inputs);
  const current = streams.get(name);
  if (current?.inputs === key) return;
  current?.subscription.stop();
  streams.set(name, { inputs: key, subscription: open().start() });
}

// Opens the subscriptions, later restarting only those whose inputs changed
// (power: the device; activity: also the layer shown).
function follow(view: View): void {
  const { deviceId, outputCore, features, width, height, labels, intervalMs } = view;
  const layer = Number(($("activity-layer") as HTMLSelectElement).value);
  keep("power", { deviceId }, () => new Subscription(
    (signal) => events.subscribePower({ deviceId }, { abort: signal }),
    (m) => { if (m.payload.oneofKind === "measurements") power.push(m.payload.measurements); },
  ));
  keep("readout", { deviceId }, () => new Subscription(
    (signal) => events.subscribeReadout({ deviceId }, { abort: signal }),
    (m) => { if (m.payload.oneofKind === "readout") readout.push(m.payload.readout); },
  ));
  keep("activity", { deviceId, layer }, () => new Subscription(
    (signal) => events.subscribeActivity({ deviceId, layer, frameIntervalMs: 50 }, { abort: signal }),
    (m) => { if (m.payload.oneofKind === "activityFrame") heatmap.push(m.payload.activityFrame); },
  ));
  keep("counts", { deviceId, outputCore, features, labels, intervalMs }, () => {
    counts.reset(labels);
    return new Subscription(
      (signal) => events.subscribeSpikeCounts(
        { deviceId, intervalMs, featureCount: features, layers: [outputCore] }, { abort: signal }),
      (m) => {
        if (m.payload.oneofKind !== "spikeCounts") return;
        for (const w of m.payload.spikeCounts.windows) {
          counts.push(w);
          tutorialWindow(w);
        }
      },
      (s) => { $("counts-summary").dataset.status = s; },
    );
  });
  keep("spikes", { deviceId, outputCore, features, width, height }, () => {
    raster.configure(features, width, height);
    return new Subscription(
      (signal) => events.subscribeEvents(
        { deviceId, filter: { types: [], layers: [outputCore], features: [] } }, { abort: signal }),
      (m) => { if (m.payload.oneofKind === "spikes") raster.push(m.payload.spikes); },
    );
  });
}

function renderMemory(memory: CoreMemoryUsage[]): string {
  const bar = (used: number, limit: number) =>
    `<div class="bar" title="${used} / ${limit} words"><span style="width:${
      Math.min(100, (100 * used) / Math.max(1, limit)).toFixed(1)}%"></span></div>`;
  return `<div class="memory">${memory.map((m) =>
    `<span>core ${m.layer}</span><span>kernel ${bar(m.kernelWords, m.kernelLimit)}` +
    `neurons ${bar(m.neuronWords, m.neuronLimit)}</span>`).join("")}</div>`;
}

async function refreshConfiguration(): Promise<void> {
  const { response } = await config.getConfiguration({ deviceId });
  const cfg = response.applied ? response.configuration : undefined;
  appliedConfig = cfg;
  const next = viewOf(cfg);
  const summary = $("config-summary");
  if (!cfg) {
    summary.textContent = "no configuration applied";
  } else {
    const lines = next.cores.map((i) => {
      const d = cfg.cnnLayers[i].dimensions!;
      const s = (x?: { size?: { x: number; y: number }; featureCount: number }) =>
        `${x?.featureCount}×${x?.size?.y}×${x?.size?.x}`;
      return `core ${i}: ${s(d.inputShape)} → k${d.kernelSize} → ${s(d.outputShape)}`;
    });
    summary.innerHTML = `${lines.join("<br>")}${renderMemory(response.memory)}`;
  }
  const select = $("activity-layer") as HTMLSelectElement;
  const current = select.value;
  select.innerHTML = `<option value="13">DVS layer</option>` +
    next.cores.map((i) => `<option value="${i}">core ${i}</option>`).join("");
  select.value = [...select.options].some((o) => o.value === current) ? current : "13";
  follow(next);
}

// The spike-count plot's own controls, like samnagui's: interval, class
// labels, time span.
function setLabels(labels: string[]): void {
  classLabels = labels;
  ($("counts-labels") as HTMLInputElement).value = labels.join(",");
}
function bindCountControls(): void {
  $("counts-interval").addEventListener("change", () => follow(viewOf(appliedConfig)));
  $("counts-labels").addEventListener("change", (e) => {
    const text = (e.target as HTMLInputElement).value;
    classLabels = text.split(",").map((l) => l.trim()).filter((l) => l !== "");
    follow(viewOf(appliedConfig));
  });
  $("counts-span").addEventListener("change", (e) => {
    counts.setSpan(Number((e.target as HTMLSelectElement).value));
  });
  // samnagui's y-axis, label and point settings.
  const number = (id: string, fallback: number) => {
    const v = Number(($(id) as HTMLInputElement).value);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const options = () => counts.setOptions({
    defaultYMax: number("counts-ymax", 10),
    maxYRate: Math.max(1, number("counts-yrate", 1.2)),
    labelIntervalS: number("counts-label-interval", 2.5),
    showPoints: ($("counts-points") as HTMLInputElement).checked,
  });
  for (const id of ["counts-ymax", "counts-yrate", "counts-label-interval", "counts-points"]) {
    $(id).addEventListener("change", options);
  }
}

let lastCounters: { t: number; in: number; out: number } | undefined;


// " (core 0: 25001 spikes · DVS monitor: 25001)": what events_out is made of.
function outputsByKind(d: Device): string {
  const parts = d.coreSpikesOut.flatMap((n, core) => (n > 0 ? [`core ${core}: ${n} spikes`] : []));
  if (d.dvsMonitorOut > 0) parts.push(`DVS monitor: ${d.dvsMonitorOut}`);
  if (d.readoutOut > 0) parts.push(`readout: ${d.readoutOut}`);
  return parts.length ? ` (${parts.join(" · ")})` : "";
}

// "usb 2-1.3 · address 5 · super speed · 337d:0001" for a board on USB.
function whereText(d: Device): string {
  const hex = (n: number) => n.toString(16).padStart(4, "0");
  return `usb ${d.usbBusNumber}-${d.usbPortPath} · address ${d.usbDeviceAddress}` +
    `${d.usbSpeed ? ` · ${d.usbSpeed} speed` : ""} · ${hex(d.usbVendorId)}:${hex(d.usbProductId)}`;
}

// A board that was lost and is back: streams retry at once, not after their
// back-off.
let lastState: DeviceState | undefined;
function stateChanged(d: Device): void {
  if (lastState === DeviceState.LOST && d.state !== DeviceState.LOST) {
    for (const s of streams.values()) s.subscription.retryNow();
    status(d.state === DeviceState.CONFIGURED
      ? `${d.id} is back: its configuration was re-applied` : `${d.id} is back`);
  }
  lastState = d.state;
}

function renderDevice(d: Device): void {
  const stateName = DeviceState[d.state].toLowerCase();
  const pill = $("state");
  pill.textContent = stateName;
  pill.className = `pill ${stateName}`;
  const detail = $("state-detail");
  detail.hidden = !d.stateDetail;
  detail.textContent = d.stateDetail ? `${stateName}: ${d.stateDetail}` : "";
  stateChanged(d);
  const now = performance.now();
  let rates = "";
  if (lastCounters) {
    const dt = (now - lastCounters.t) / 1000;
    rates = `${Math.round((d.eventsIn - lastCounters.in) / dt)} in/s · ` +
            `${Math.round((d.eventsOut - lastCounters.out) / dt)} out/s`;
  }
  lastCounters = { t: now, in: d.eventsIn, out: d.eventsOut };
  const dropped = [...streams.values()].reduce((n, s) => n + s.subscription.dropped, 0);
  const facts: [string, string][] = [
    ["id", d.id],
    ["backend", d.backend === 1 ? "simulated" : "USB"],
    ...(d.backend === 1 ? [] : [["where", whereText(d)] as [string, string]]),
    ...(d.product ? [["product", `${d.manufacturer} ${d.product}`.trim()] as [string, string]] : []),
    ...(d.backend !== 1 && d.serialNumber ? [["serial", d.serialNumber] as [string, string]] : []),
    ["stop watch", `${((d.stopWatch?.timeUs ?? 0) / 1e6).toFixed(2)} s · epoch ${d.stopWatch?.epoch ?? 0}${
      d.stopWatch?.enabled ? "" : " (stopped)"}`],
    ["pacing", d.pacing === Pacing.REAL_TIME ? "real time" : "as fast as possible"],
    ["events", `${d.eventsIn} in · ${d.eventsOut} out${outputsByKind(d)}`],
    ["work", `${d.synops} synops · ${d.queuedInputs} queued · ${d.lateInputs} late` +
      (d.cascadeOverflow ? ` · ${d.cascadeOverflow} cut off (runaway cascade)` : "")],
    ["rates", rates || "…"],
    ["dropped", `${dropped} (this page's streams)`],
    ["power monitor", d.powerMonitorRateHz ? `${d.powerMonitorRateHz} Hz` : "off"],
  ];
  $("device-facts").innerHTML = facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("");
  const holder = d.lease?.holder;
  $("lease").textContent = holder
    ? `lease: ${lease.held ? "this page" : holder}` : "lease: free";
}

// Each open stream carries the same notice: act once per burst.
let lastNotice = { kind: StreamNotice_Kind.KIND_UNSPECIFIED, at: 0 };
function handleNotice(notice: StreamNotice): void {
  const now = performance.now();
  if (notice.kind === lastNotice.kind && now - lastNotice.at < 500) return;
  lastNotice = { kind: notice.kind, at: now };
  // While this page holds the lease it caused reconfigurations and resets
  // itself, and its own status line says so already.
  const ours = lease.held && (notice.kind === StreamNotice_Kind.DEVICE_RECONFIGURED ||
                              notice.kind === StreamNotice_Kind.STOP_WATCH_RESET);
  if (ours) return;
  status(notice.message || StreamNotice_Kind[notice.kind].toLowerCase());
  // Another client (speckctl, a second page) changed the network.
  if (notice.kind === StreamNotice_Kind.DEVICE_RECONFIGURED) void refreshConfiguration().catch(report);
}

// The status line's text while the daemon cannot be reached, so that it is
// cleared (not left standing) once it answers again.
let unreachable: string | undefined;
async function poll(): Promise<void> {
  try {
    const { response } = await devices.getDevice({ deviceId });
    renderDevice(response);
    if (unreachable !== undefined) {
      if ($("control-status").textContent === unreachable) status("reconnected to speckd");
      unreachable = undefined;
    }
  } catch (error) {
    if (askForToken(error)) {
      $("state").textContent = "needs a token";
      $("state").className = "pill lost";
      return;
    }
    $("state").textContent = "unreachable";
    $("state").className = "pill lost";
    unreachable = describe(error);
    status(unreachable);
  }
}

// While the tutorial's input plays: its last window, the labels of its two
// classes, and the counts so far. Once the last window arrives the status
// line says the result.
let tutorialRun: { lastWindowUs: number; labels: string[]; totals: number[]; seenUs: number }
  | undefined;
function tutorialWindow(w: SpikeCount): void {
  const run = tutorialRun;
  if (!run) return;
  // Windows of the epoch before the run's stop-watch reset do not count.
  if (w.windowStartUs < run.seenUs) run.totals = run.totals.map(() => 0);
  run.seenUs = w.windowStartUs;
  run.totals = run.totals.map((n, i) => n + (w.counts[i] ?? 0));
  if (w.windowStartUs < run.lastWindowUs) return;
  const all = run.totals.reduce((a, b) => a + b, 0);
  status(`done: ${all} spikes, ${run.labels.map((l, i) => `${l} ${run.totals[i]}`).join(", ")}`);
  tutorialRun = undefined;
}

async function runTutorial(): Promise<void> {
  const button = $("run-tutorial") as HTMLButtonElement;
  button.disabled = true;
  await lease.run(async (leaseId) => {
    status("applying the tutorial configuration…");
    await config.applyConfiguration({ deviceId, leaseId, configuration: tutorialConfiguration(), configurationJson: "" });
    setLabels(["top", "bottom"]);
    // The tutorial counts per 50 ms, as sinabs' notebook does.
    ($("counts-interval") as HTMLSelectElement).value = "50";
    const realtime = ($("realtime") as HTMLInputElement).checked;
    await devices.setPacing({ deviceId, leaseId,
                              pacing: realtime ? Pacing.REAL_TIME : Pacing.AS_FAST_AS_POSSIBLE });
    await devices.setPowerMonitor({ deviceId, leaseId, rateHz: 20 });
    await refreshConfiguration();
    await Promise.all([...streams.values()].map((s) => s.subscription.attached));
    // In real time the stop watch waits at 0 until all input is queued: a
    // slow page must not make the first events late (they would then be
    // processed at once, in a later window).
    await devices.setStopWatch({ deviceId, leaseId, enable: !realtime, reset: true });
    status("writing 25001 events (5 s of input)…");
    const input = tutorialEvents();
    const lastUs = input.timestampUs[input.timestampUs.length - 1];
    tutorialRun = { lastWindowUs: Math.floor(lastUs / 50000) * 50000, labels: ["top", "bottom"],
                    totals: [0, 0], seenUs: 0 };
    const n = input.timestampUs.length;
    const step = 5000;
    for (let i = 0; i < n; i += step) {
      await events.writeEventBatch({
        deviceId, leaseId, flush: i + step >= n,
        dvsEvents: {
          timestampUs: input.timestampUs.slice(i, i + step), x: input.x.slice(i, i + step),
          y: input.y.slice(i, i + step), p: input.p.slice(i, i + step),
        },
      });
    }
    if (realtime) await devices.setStopWatch({ deviceId, leaseId, enable: true, reset: false });
    // Unless the last window already came (as fast as possible), the result
    // follows when it does.
    if (tutorialRun) status(realtime ? "running: the classes alternate after 2.5 s" : "finishing…");
  }).catch(report);
  button.disabled = false;
}

async function resetStopWatch(): Promise<void> {
  await lease.run(async (leaseId) => {
    const { response } = await devices.setStopWatch({ deviceId, leaseId, reset: true });
    status(`stop watch reset (epoch ${response.epoch})`);
  }).catch(report);
}

// The text of a configuration file that validated; speckd reads it (so its
// problems read the same as in speckctl).
let pendingConfig: string | undefined;

function showProblems(file: string, problems: { path: string; message: string; severity: string }[]): void {
  $("config-problems").innerHTML = problems.map((p) =>
    `<div class="problem ${p.severity}">${file}: ${p.path ? `${p.path}: ` : ""}${p.message}</div>`).join("");
}

async function loadConfigFile(file: File): Promise<void> {
  const apply = $("config-apply") as HTMLButtonElement;
  apply.hidden = true;
  pendingConfig = undefined;
  const text = await file.text();
  const { response } = await config.validateConfiguration({ deviceId, configurationJson: text });
  const severity = (p: ConfigProblem) =>
    p.severity === ConfigProblem_Severity.ERROR ? "error"
      : p.severity === ConfigProblem_Severity.WARNING ? "warning" : "not_modelled";
  showProblems(file.name, response.problems.map((p) =>
    ({ path: p.fieldPath, message: p.message, severity: severity(p) })));
  if (response.valid) {
    pendingConfig = text;
    apply.hidden = false;
    apply.textContent = `Apply ${file.name}`;
    if (!response.problems.length) $("config-problems").innerHTML = `<div class="muted">${file.name}: valid</div>`;
  }
}

async function applyPending(): Promise<void> {
  const configurationJson = pendingConfig;
  if (!configurationJson) return;
  await lease.run(async (leaseId) => {
    await config.applyConfiguration({ deviceId, leaseId, configurationJson });
    ($("config-apply") as HTMLButtonElement).hidden = true;
    setLabels([]);
    status("configuration applied");
    await refreshConfiguration();
  }).catch(report);
}

// One render loop for every panel: draws what arrived since the last frame.
const perf = { rafs: 0, drawn: 0, fps: 0, heatmapFps: 0, since: performance.now(), heatmapFrames: 0 };
function frame(now: number): void {
  perf.rafs += 1;
  if (heatmap.draw()) perf.heatmapFrames += 1;
  if (counts.draw()) perf.drawn += 1;
  raster.draw();
  power.draw();
  readout.draw();
  if (now - perf.since >= 1000) {
    const s = (now - perf.since) / 1000;
    perf.fps = perf.rafs / s;
    perf.heatmapFps = perf.heatmapFrames / s;
    perf.rafs = perf.heatmapFrames = 0;
    perf.since = now;
    $("perf").textContent = `render ${perf.fps.toFixed(0)} fps · heatmap ${perf.heatmapFps.toFixed(0)} frames/s`;
  }
  requestAnimationFrame(frame);
}

// For the browser test and for curious users (devtools): what is on screen.
(window as unknown as { speckd: object }).speckd = {
  get windows() { return counts.windows; },
  get heatmapFrames() { return heatmap.framesDrawn; },
  get heatmapTotal() { return heatmap.lastTotal; },
  get rasterSpikes() { return raster.spikes; },
  get powerSamples() { return power.samples; },
  get readoutValues() { return readout.values; },
  get countsYMax() { return counts.yMax; },
  get fps() { return perf.fps; },
  get heatmapFps() { return perf.heatmapFps; },
  get recordings() { return recordingsPanel.list; },
  get downloads() { return recordingsPanel.downloads; },
};

// speckd's own rule: the only usable board on USB, else the first simulated
// devkit, else the first device.
function defaultDevice(list: Device[]): string {
  const boards = list.filter((d) => d.backend !== 1 && d.state !== DeviceState.UNUSABLE);
  if (boards.length === 1) return boards[0].id;
  return (list.find((d) => d.backend === 1) ?? list[0])?.id ?? "";
}

async function main(): Promise<void> {
  const { response } = await devices.listDevices({});
  const select = $("device") as HTMLSelectElement;
  select.innerHTML = response.devices.map((d) =>
    `<option value="${d.id}">${d.id}${d.state === DeviceState.UNUSABLE ? " (unusable)" : ""}</option>`).join("");
  deviceId = defaultDevice(response.devices);
  select.value = deviceId;
  select.addEventListener("change", async () => {
    await lease.release();
    deviceId = select.value;
    await refreshConfiguration();
  });
  onStreamNotice(handleNotice);
  bindCountControls();
  $("run-tutorial").addEventListener("click", () => void runTutorial());
  $("reset-watch").addEventListener("click", () => void resetStopWatch());
  $("activity-layer").addEventListener("change", () => follow(viewOf(appliedConfig)));
  $("config-file").addEventListener("change", (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) void loadConfigFile(file);
  });
  $("config-apply").addEventListener("click", () => void applyPending());
  window.addEventListener("resize", () => {
    counts.resize(); power.resize(); raster.resize(); readout.resize();
  });
  readout.resize();
  // The device's state first, before any stream: the page tells where it
  // stands even where streams do not advance (a headless screenshot).
  await poll();
  await refreshConfiguration();
  await recordingsPanel.refresh();
  setInterval(() => void poll(), 500);
  setInterval(() => void recordingsPanel.refresh(), 2000);
  requestAnimationFrame(frame);
}

main().catch(report);
