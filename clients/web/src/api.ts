// The daemon's API over grpc-web, from the page's own origin (speckd serves
// both), and the control lease the dashboard's buttons need.
import { GrpcWebFetchTransport } from "@protobuf-ts/grpcweb-transport";
import { DeviceServiceClient } from "./gen/proto/speckd/v1/device_service.client";
import { ConfigServiceClient } from "./gen/proto/speckd/v1/config_service.client";
import { EventServiceClient } from "./gen/proto/speckd/v1/event_service.client";
import { RecordingServiceClient } from "./gen/proto/speckd/v1/recording_service.client";
import type { StreamMessage, StreamNotice } from "./gen/proto/speckd/v1/events";
import type { ServerStreamingCall } from "@protobuf-ts/runtime-rpc";

// The access token of a speckd started with --auth_tokens: entered once,
// kept for this tab (sessionStorage), sent with every call.
const TOKEN_KEY = "speckd-token";
export function savedToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}
export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}
// True for a call refused for want of a (known) token.
export function needsToken(error: unknown): boolean {
  return (error as { code?: string })?.code === "UNAUTHENTICATED";
}

const token = savedToken();
const transport = new GrpcWebFetchTransport({
  baseUrl: window.location.origin,
  format: "binary",
  meta: token ? { authorization: `Bearer ${token}` } : {},
});

export const devices = new DeviceServiceClient(transport);
export const config = new ConfigServiceClient(transport);
export const events = new EventServiceClient(transport);
export const recordings = new RecordingServiceClient(transport);

// gRPC errors as one readable sentence (speckd's own message; the code only
// when there is nothing else to say).
export function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  if (!e || !e.code || e.message === undefined) return String(error);
  const message = decodeURIComponent(e.message);
  // The browser's fetch failed: no daemon at the other end (yet).
  if (/failed to fetch|networkerror|load failed/i.test(message)) {
    return "cannot reach speckd (reconnecting…)";
  }
  return message || `speckd answered ${e.code.toLowerCase()}`;
}

// The control lease: acquired on demand, renewed while held, released when
// the page goes away.
export class Lease {
  private id = "";
  private timer: number | undefined;

  constructor(private readonly deviceId: () => string) {
    window.addEventListener("pagehide", () => void this.release());
  }

  get held(): boolean {
    return this.id !== "";
  }

  // Runs `work` holding the lease, then releases it: the page holds the
  // device only while acting on it, so speckctl and other pages can take over
  // (input already written still plays out).
  async run<T>(work: (leaseId: string) => Promise<T>): Promise<T> {
    try {
      return await work(await this.acquire());
    } finally {
      await this.release();
    }
  }

  private async acquire(): Promise<string> {
    if (this.id) return this.id;
    const { response } = await devices.acquireLease({
      deviceId: this.deviceId(),
      holder: `dashboard (${navigator.userAgent.split(" ").pop() ?? "browser"})`,
      ttlMs: 30000,
      takeOver: false,
    });
    this.id = response.leaseId;
    this.timer = window.setInterval(() => void this.renew(), 10000);
    return this.id;
  }

  private async renew(): Promise<void> {
    try {
      await devices.renewLease({ deviceId: this.deviceId(), leaseId: this.id });
    } catch {
      this.forget();
    }
  }

  async release(): Promise<void> {
    if (!this.id) return;
    const id = this.id;
    this.forget();
    try {
      await devices.releaseLease({ deviceId: this.deviceId(), leaseId: id });
    } catch {
      // Expired already: nothing to release.
    }
  }

  private forget(): void {
    this.id = "";
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
  }
}

// Every stream carries the same notices (reconfigured, stop watch reset,
// shutting down); one page-wide handler hears them.
let noticeHandler: (notice: StreamNotice) => void = () => {};
export function onStreamNotice(handler: (notice: StreamNotice) => void): void {
  noticeHandler = handler;
}

// Keeps a subscription open: reopens it after errors (daemon restarts,
// network hiccups) with a growing delay, until stopped.
export class Subscription {
  private controller: AbortController | undefined;
  private stopped = false;
  private markAttached: () => void = () => {};
  dropped = 0;
  // Resolves once the server has attached the first call (its headers came).
  readonly attached: Promise<void> = new Promise((resolve) => {
    this.markAttached = resolve;
  });

  constructor(
    private readonly open: (signal: AbortSignal) => ServerStreamingCall<object, StreamMessage>,
    private readonly onMessage: (message: StreamMessage) => void,
    private readonly onStatus: (status: string) => void = () => {},
  ) {}

  start(): this {
    void this.run();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  // Ends a wait between attempts at once (the device is back).
  retryNow(): void {
    this.wake?.();
  }
  private wake: (() => void) | undefined;

  private async run(): Promise<void> {
    let delay = 250;
    while (!this.stopped) {
      this.controller = new AbortController();
      try {
        const call = this.open(this.controller.signal);
        void call.headers.then(() => this.markAttached(), () => {});
        this.onStatus("live");
        for await (const message of call.responses) {
          delay = 250;
          this.dropped += message.droppedSinceLast;
          if (message.payload.oneofKind === "notice") noticeHandler(message.payload.notice);
          else this.onMessage(message);
        }
        await call.status;
      } catch (error) {
        if (this.stopped) return;
        this.onStatus(`reconnecting (${describe(error)})`);
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = undefined;
      delay = Math.min(delay * 2, 5000);
    }
  }
}
