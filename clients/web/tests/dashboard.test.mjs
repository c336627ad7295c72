// The dashboard in a real browser (Debian's chromium, driven by
// playwright-core) against a real speckd serving it: run the sinabs tutorial
// from the page (recording it from the page too, then downloading the file
// byte for byte), and check the spike-count plot shows class 0 then class 1 at
// 250 per 50 ms window, the heatmap draws, the render loop keeps >= 20 fps,
// and a bad configuration file shows its problems by field path. Then another
// client (the real speckctl) applies a 3-class network: the page hears of it
// and shows the new network without a reload; the plot's interval, class
// labels and samnagui's axis settings can be changed. Only the streams whose
// inputs changed reopen, and switching devices closes the old device's
// streams. A device unplugged (simulated) shows as lost with the reason, and
// its streams reopen once it is back. The page renders its state without streams advancing (headless
// --dump-dom), hears the daemon shut down, and clears the error once a new
// daemon answers. Last, a daemon with tokens and TLS: the page over https
// asks for a token once and works with it.
//
//   node tests/dashboard.test.mjs   (SPECKD=path/to/speckd, SPECKCTL=path/to/
//   speckctl, default bazel-bin)
// Writes a screenshot to $SCREENSHOT_DIR (default test-results/).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, "..");
const speckdPath = process.env.SPECKD ?? resolve(web, "../../bazel-bin/server/speckd");
const speckctlPath = process.env.SPECKCTL ?? resolve(web, "../../bazel-bin/clients/cli/speckctl");
const shots = process.env.SCREENSHOT_DIR ?? join(web, "test-results");
mkdirSync(shots, { recursive: true });
// Recordings made from the page go to a scratch directory.
const dataDir = mkdtempSync(join(tmpdir(), "speckd-dashboard-"));

// `webPort`: the dashboard's port (0: any free one); `extra`: more flags.
function startSpeckd(webPort = 0, extra = []) {
  const child = spawn(speckdPath, [
    "--listen=127.0.0.1:0", `--web_listen=127.0.0.1:${webPort}`,
    `--web_root=${join(web, "dist")}`, "--sim_pacing=real_time", "--sim_devices=2", "--sim_faults",
    `--data_dir=${dataDir}`, ...extra,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  const log = [];
  let grpcAddress = "";
  child.stderr.on("data", (d) => log.push(String(d)));
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`speckd did not start: ${log.join("")}`)), 15000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      const grpc = line.match(/listening on (\S+) \(gRPC\)/);
      if (grpc) grpcAddress = grpc[1];
      const m = line.match(/dashboard at (https?:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl({ child, url: m[1], log, grpcAddress });
      }
    });
    child.on("exit", (code) => reject(new Error(`speckd exited (${code}): ${log.join("")}`)));
  });
}

const { child, url, log, grpcAddress } = await startSpeckd();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"],
});
let failed = false;
let restarted;
let guarded;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // The page's grpc-web calls: method, device, and whether still open.
  const calls = new Map();
  page.on("request", (r) => {
    const method = r.url().match(/\/speckd\.v1\.\w+\/(\w+)$/)?.[1];
    const device = r.postDataBuffer()?.toString("latin1").match(/speck2edevkit(-sim)?:\d+/)?.[0];
    if (method) calls.set(r, { method, device, open: true });
  });
  const closed = (r) => { if (calls.has(r)) calls.get(r).open = false; };
  page.on("requestfinished", closed);
  page.on("requestfailed", closed);
  const count = (method) => [...calls.values()].filter((c) => c.method === method).length;
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector("#state")?.textContent === "ready",
                             null, { timeout: 15000 });

  // 1. A configuration file with problems: shown by field path.
  const bad = join(shots, "bad-config.json");
  writeFileSync(bad, JSON.stringify({ cnn_layers: [{
    dimensions: { input_shape: { size: { x: 16, y: 16 }, feature_count: 1 },
                  output_shape: { size: { x: 1, y: 1 }, feature_count: 2 }, kernel_size: 17 },
    threshold_high: 127, threshold_low: -127 }] }));
  await page.setInputFiles("#config-file", bad);
  await page.waitForSelector(".problem.error", { timeout: 10000 });
  const problems = await page.locator(".problem").allTextContents();
  assert.ok(problems.some((p) => p.includes("cnn_layers[0].dimensions.kernel_size: 17 exceeds the chip limit 16")),
            `problems shown: ${problems.join(" | ")}`);
  assert.equal(await page.locator("#config-apply").isHidden(), true);
  // Typos: every unknown field, with its path and the field meant, in
  // speckctl's words (speckd reads the file for both).
  const typos = join(shots, "typo-config.json");
  writeFileSync(typos, JSON.stringify({ cnn_layers: [{ treshold_high: 5 }], dvs_layer: { merg: true } }));
  await page.setInputFiles("#config-file", typos);
  await page.waitForFunction(() => document.querySelectorAll(".problem.error").length === 2
                                   && document.querySelector(".problem")?.textContent.includes("treshold"),
                             null, { timeout: 10000 });
  const typoLines = await page.locator(".problem").allTextContents();
  assert.deepEqual(typoLines, [
    "typo-config.json: cnn_layers[0].treshold_high: unknown field (did you mean threshold_high?)",
    "typo-config.json: dvs_layer.merg: unknown field (did you mean merge?)",
  ]);

  // 2. The tutorial, in real time (5 s of input), recorded from the page.
  const configReads = count("GetConfiguration");
  await page.click("#record");
  await page.waitForFunction(() => document.querySelector("#record-status")?.textContent.startsWith("recording rec-"),
                             null, { timeout: 10000 });
  await page.click("#run-tutorial");
  // Mid-run (second class active): the screenshot shows a live heatmap.
  await page.waitForFunction(() => window.speckd.windows.some((w) => w.startUs >= 3000000),
                             null, { timeout: 30000, polling: 50 });
  await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
  // Mid-run, the heatmap has drawn frames and its canvas holds coloured pixels.
  const heat = await page.evaluate(() => {
    const c = document.querySelector("#heatmap");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) lit++;
    return { frames: window.speckd.heatmapFrames, lit, width: c.width };
  });
  assert.ok(heat.frames >= 50, `heatmap frames drawn: ${heat.frames}`);
  assert.ok(heat.lit > 0, "the heatmap shows activity");
  assert.equal(heat.width, 16);
  await page.waitForFunction(() => window.speckd.windows.some((w) => w.startUs === 5000000),
                             null, { timeout: 30000, polling: 100 });
  // Mid-run figures were sampled by the page's own render loop.
  const perf = await page.evaluate(() => ({ fps: window.speckd.fps, heatmapFps: window.speckd.heatmapFps }));
  const windows = await page.evaluate(() => window.speckd.windows);
  const byStart = new Map(windows.map((w) => [w.startUs / 50000, w.counts]));
  assert.deepEqual(byStart.get(0), [225, 0]);
  for (let w = 1; w < 50; w++) assert.deepEqual(byStart.get(w), [250, 0], `window ${w}`);
  for (let w = 50; w < 100; w++) assert.deepEqual(byStart.get(w), [0, 250], `window ${w}`);
  assert.deepEqual(byStart.get(100), [0, 26]);
  // The page says the result once the last window is in.
  await page.waitForFunction(() => document.querySelector("#control-status")?.textContent.startsWith("done"),
                             null, { timeout: 15000 });
  assert.equal(await page.locator("#control-status").textContent(),
               "done: 25001 spikes, top 12475, bottom 12526");
  // The recording: stopped from the page, listed with its size, downloaded
  // through grpc-web by the page and saved by the browser, byte for byte.
  await page.click("#record");
  await page.waitForFunction(() => document.querySelector("#record-status")?.textContent.endsWith(": stopped"),
                             null, { timeout: 10000 });
  await page.waitForFunction(() => window.speckd.recordings.length === 1 && !window.speckd.recordings[0].active,
                             null, { timeout: 10000 });
  const listed = await page.evaluate(() => ({ name: window.speckd.recordings[0].name,
                                             size: Number(window.speckd.recordings[0].sizeBytes),
                                             counts: window.speckd.recordings[0].counts }));
  assert.equal(listed.counts.find((c) => c.kind === 1)?.items, 25001);  // INPUTS
  const [download] = await Promise.all([page.waitForEvent("download"),
                                        page.click(`#recordings li[data-name="${listed.name}"] button`)]);
  const saved = join(shots, `${listed.name}.speckrec`);
  await download.saveAs(saved);
  const bytes = readFileSync(saved);
  assert.equal(bytes.length, listed.size);
  assert.equal(bytes.subarray(0, 8).toString("latin1"), "SPECKREC");
  // samnagui's plot settings, as sinabs' tutorial sets them: y up to
  // max(10, 1.2 x 250); a larger default_y_max wins.
  assert.equal(await page.evaluate(() => window.speckd.countsYMax), 300);
  await page.fill("#counts-ymax", "400");
  await page.locator("#counts-ymax").dispatchEvent("change");
  await page.waitForFunction(() => window.speckd.countsYMax === 400, null, { timeout: 10000 });
  // The tutorial does not monitor the readout layer: the panel says so.
  assert.match(await page.locator("#readout-caption").textContent(), /readout\.monitor_enable/);

  // The spike-count plot: uPlot drew its series.
  assert.ok(await page.locator("#counts canvas").count() >= 1);
  assert.ok(await page.evaluate(() => window.speckd.rasterSpikes) >= 25001);
  assert.ok(perf.fps >= 20, `render loop at ${perf.fps.toFixed(1)} fps`);
  assert.ok(perf.heatmapFps >= 15, `heatmap at ${perf.heatmapFps.toFixed(1)} frames/s`);
  // The page applied the network itself: it reads it back once, not again on
  // hearing of its own reconfiguration.
  assert.equal(count("GetConfiguration") - configReads, 1);

  // 3. Another client reconfigures the device: a third class (all-zero
  // weights). The page released its lease after the run, hears the notice
  // and redraws for the new network.
  await page.waitForFunction(() => document.querySelector("#lease")?.textContent === "lease: free",
                             null, { timeout: 15000 });
  const net = JSON.parse(readFileSync(resolve(web, "../../examples/tutorial/config.json"), "utf8"));
  const core = net.cnn_layers[0];
  core.dimensions.output_shape.feature_count = 3;
  // weights are flat, [feature][channel][y][x]: one more 1×16×16 block.
  core.weights.push(...new Array(16 * 16).fill(0));
  core.biases.push(0);
  const threeClasses = join(shots, "three-classes.json");
  writeFileSync(threeClasses, JSON.stringify(net));
  execFileSync(speckctlPath, [`--server=${grpcAddress}`, "config", "apply", threeClasses]);
  await page.waitForFunction(
    () => document.querySelector("#config-summary")?.textContent.includes("→ 3×1×1"),
    null, { timeout: 15000 });
  assert.match(await page.locator("#control-status").textContent(), /configuration/);

  // 4. The spike-count plot's own controls: class labels and window interval
  // re-subscribe; windows then come every 100 ms, with the new names.
  await page.fill("#counts-labels", "left, right, none");
  await page.selectOption("#counts-interval", "100");
  await page.locator("#counts-labels").dispatchEvent("change");
  await page.waitForFunction(() => {
    const w = window.speckd.windows;
    return w.length >= 3 && w.slice(-3).every((x, i, a) => i === 0 || x.startUs - a[i - 1].startUs === 100000);
  }, null, { timeout: 15000, polling: 100 });
  const legend = await page.locator("#counts .u-legend").textContent();
  assert.ok(["left", "right", "none"].every((l) => legend.includes(l)), `legend: ${legend}`);
  assert.equal((await page.evaluate(() => window.speckd.windows.at(-1))).counts.length, 3);

  // 5. Power and activity depend on the device (and the layer shown) only:
  // opened once so far. Switching devices closes every stream to the first
  // and opens them to the second.
  assert.equal(count("SubscribePower"), 1);
  assert.equal(count("SubscribeActivity"), 1);
  await page.selectOption("#device", "speck2edevkit-sim:1");
  const streams = () => [...calls.values()].filter((c) => c.open && c.method.startsWith("Subscribe"));
  const allOpenTo = async (device) => {
    const deadline = Date.now() + 15000;
    while (!(streams().length === 5 && streams().every((c) => c.device === device))) {
      assert.ok(Date.now() < deadline, `open streams: ${JSON.stringify(streams())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await allOpenTo("speck2edevkit-sim:1");
  assert.deepEqual(errors, []);

  // 5b. The board is unplugged (speckd --sim_faults): the page shows it lost
  // and why; plugged back in, it says so and its streams open again at once.
  const countsBefore = count("SubscribeSpikeCounts");
  execFileSync(speckctlPath, [`--server=${grpcAddress}`, "--device=speck2edevkit-sim:1", "sim", "unplug"]);
  await page.waitForFunction(() => document.querySelector("#state")?.textContent === "lost",
                             null, { timeout: 15000 });
  assert.match(await page.locator("#state-detail").textContent(),
               /^lost: unplugged \(simulated fault\); its configuration and settings are kept/);
  await page.waitForFunction(() => document.querySelector("#control-status")?.textContent.includes("was lost"),
                             null, { timeout: 15000 });
  execFileSync(speckctlPath, [`--server=${grpcAddress}`, "--device=speck2edevkit-sim:1", "sim", "replug"]);
  await page.waitForFunction(() => document.querySelector("#state")?.textContent === "ready",
                             null, { timeout: 15000 });
  assert.equal(await page.locator("#state-detail").isHidden(), true);
  await allOpenTo("speck2edevkit-sim:1");
  assert.ok(count("SubscribeSpikeCounts") > countsBefore, "the counts stream reopened");
  assert.match(await page.locator("#control-status").textContent(), /is back/);
  assert.deepEqual(errors, []);

  // 6. Without streams advancing (a headless screenshot pauses time while
  // fetches are open), the page still shows where the device stands.
  const dom = execFileSync(process.env.CHROMIUM ?? "/usr/bin/chromium", [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--virtual-time-budget=5000", "--dump-dom", url,
  ], { encoding: "utf8", timeout: 60000, stdio: ["ignore", "pipe", "ignore"] });
  assert.match(dom, /<span id="state" class="pill \w+">(ready|configured|streaming)<\/span>/,
               "the state pill rendered");

  // 7. The daemon shuts down: the page says why, then that it cannot reach
  // it; a daemon back on the same port clears that once it answers.
  child.kill("SIGTERM");
  await page.waitForFunction(() => document.querySelector("#control-status")?.textContent === "speckd is shutting down",
                             null, { timeout: 15000, polling: 20 });
  await page.waitForFunction(
    () => document.querySelector("#control-status")?.textContent === "cannot reach speckd (reconnecting…)",
    null, { timeout: 15000 });
  assert.equal(await page.locator("#state").textContent(), "unreachable");
  const again = await startSpeckd(new URL(url).port);
  restarted = again.child;
  await page.waitForFunction(() => document.querySelector("#control-status")?.textContent === "reconnected to speckd",
                             null, { timeout: 15000 });
  assert.deepEqual(errors, []);

  // 8. A speckd with access tokens and TLS, as on a lab network: the page,
  //    served over https (a certificate made here by openssl; the browser is
  //    told to accept it), asks for a token, keeps it for the tab, and shows
  //    the device once given a viewer's.
  const tokens = join(dataDir, "tokens");
  writeFileSync(tokens, "wall viewer " +
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n");  // "test"
  const cert = join(dataDir, "web.pem");
  const key = join(dataDir, "web.key");
  execFileSync("/usr/bin/openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  guarded = await startSpeckd(0, [`--auth_tokens=${tokens}`, `--tls_cert=${cert}`, `--tls_key=${key}`]);
  assert.match(guarded.url, /^https:\/\//);
  const tlsContext = await browser.newContext({ ignoreHTTPSErrors: true });
  const locked = await tlsContext.newPage();
  await locked.goto(guarded.url);
  await locked.waitForSelector("#token-form:not([hidden])", { timeout: 10000 });
  assert.match(await locked.textContent("#token-why"), /needs an access token/);
  await locked.fill("#token", "test");
  await Promise.all([locked.waitForNavigation(), locked.click("#token-use")]);
  await locked.waitForFunction(
    () => document.querySelector("#device")?.textContent?.includes("speck2edevkit-sim:0"), null,
    { timeout: 10000 });
  assert.ok(await locked.evaluate(() => document.querySelector("#token-form").hidden));
  assert.equal(await locked.evaluate(() => sessionStorage.getItem("speckd-token")), "test");
  assert.equal(await locked.evaluate(() => location.protocol), "https:");

  console.log(`dashboard test passed: render ${perf.fps.toFixed(1)} fps, heatmap ` +
              `${perf.heatmapFps.toFixed(1)} frames/s, ${windows.length} count windows; ` +
              `screenshot ${join(shots, "dashboard.png")}`);
} catch (error) {
  failed = true;
  console.error(error);
  console.error(log.join(""));
} finally {
  await browser.close();
  child.kill("SIGTERM");
  restarted?.kill("SIGTERM");
  guarded?.child.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
