// Recordings kept by the daemon (docs/recordings.md): a record button for
// the shown device, and the list with sizes, states and a download each
// (fetched by the page, chunk by chunk, then saved by the browser).
import { describe, recordings } from "../api";
import type { Recording } from "../gen/proto/speckd/v1/recording_service";

function size(bytes: number): string {
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(0)} kB`;
  return `${bytes} B`;
}

function state(r: Recording): string {
  if (r.active) return "recording";
  if (!r.endedCleanly) return "cut off";
  return r.endStatusCode === 0 ? "stopped" : `ended: ${r.endStatusMessage}`;
}

export class RecordingsPanel {
  // The recording this page started and has not stopped ("" when none).
  private active = "";
  list: Recording[] = [];
  downloads = 0;

  constructor(
    private readonly deviceId: () => string,
    private readonly button: HTMLButtonElement,
    private readonly status: HTMLElement,
    private readonly table: HTMLElement,
  ) {
    button.addEventListener("click", () => void this.toggle());
  }

  private async toggle(): Promise<void> {
    try {
      if (this.active) {
        const { response } = await recordings.stopRecording({ name: this.active });
        this.status.textContent = `${response.name}: ${state(response)}`;
        this.active = "";
      } else {
        const { response } = await recordings.startRecording(
          { deviceId: this.deviceId(), name: "", streams: [], spikeFilter: undefined });
        this.active = response.name;
        this.status.textContent = `recording ${response.name}`;
      }
    } catch (error) {
      this.status.textContent = describe(error);
    }
    this.button.textContent = this.active ? "Stop recording" : "Record";
    await this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      const { response } = await recordings.listRecordings({});
      this.list = response.recordings;
    } catch {
      return;  // the device poll already says the daemon is unreachable
    }
    this.table.replaceChildren(...this.list.map((r) => this.row(r)));
  }

  private row(r: Recording): HTMLElement {
    const li = document.createElement("li");
    li.dataset.name = r.name;
    const label = document.createElement("span");
    label.textContent = `${r.name} · ${size(r.sizeBytes)} · ${state(r)}`;
    const get = document.createElement("button");
    get.textContent = "Download";
    get.className = "small";
    get.addEventListener("click", () => void this.download(r.name));
    li.append(label, " ", get);
    return li;
  }

  // The file, chunk by chunk over grpc-web, then handed to the browser.
  private async download(name: string): Promise<void> {
    try {
      const parts: BlobPart[] = [];
      const call = recordings.readRecording({ name, offset: 0 });
      // A copy into an ArrayBuffer of its own (the chunk may view a larger one).
      for await (const chunk of call.responses) parts.push(chunk.data.slice().buffer);
      await call.status;
      const url = URL.createObjectURL(new Blob(parts, { type: "application/octet-stream" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `${name}.speckrec`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      this.downloads++;
    } catch (error) {
      this.status.textContent = describe(error);
    }
  }
}
