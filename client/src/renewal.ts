/**
 * Keeps a connection signed in: before its token expires, asks the app's `getToken` for a new one
 * and hands it to the host with a `renew` event on the open socket, so nothing reconnects and no
 * room is left. Also renews at once when the host says the session ended (`sessionExpired`), and
 * puts every new token in the socket's CONNECT payload so a later reconnect uses it.
 *
 * The token's `exp` is read from its payload without checking the signature: it only decides when
 * to ask, the host decides whether the token is good. The clock's `now()` is taken as wall time.
 */
import type { Socket } from "socket.io-client";
import type { Clock } from "./clock.js";

/** The app's source of fresh tokens; `null`/`undefined` = none now (the client stops renewing). */
export type GetToken = () => string | null | undefined | Promise<string | null | undefined>;

/** How long a failed renewal waits before it tries again. */
const RETRY_MS = 5_000;
/** How long the host has to answer a `renew`. */
const ANSWER_MS = 10_000;

/** The token's `exp` as milliseconds since the epoch, if it has one. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const claims: unknown = JSON.parse(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)));
    const exp = (claims as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Renews one socket's token from `getToken`, `renewBeforeMs` before each token's expiry. */
export class TokenRenewal {
  private timer: unknown = undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly socket: Socket,
    private readonly clock: Clock,
    private readonly getToken: GetToken,
    private readonly renewBeforeMs: number,
  ) {
    socket.on("sessionExpired", this.onExpired);
  }

  /** Plans the renewal of `token` (none for `null` or a token without `exp`). */
  track(token: string | null | undefined): void {
    this.cancel();
    if (this.stopped || !token) return;
    const expires = tokenExpiry(token);
    if (expires === undefined) return;
    this.schedule(Math.max(0, expires - this.renewBeforeMs - this.clock.now()));
  }

  /** Stops renewing and listening. */
  stop(): void {
    this.stopped = true;
    this.cancel();
    this.socket.off("sessionExpired", this.onExpired);
  }

  private readonly onExpired = (): void => {
    this.cancel();
    void this.renew();
  };

  private schedule(ms: number): void {
    this.cancel();
    this.timer = this.clock.setTimeout(() => void this.renew(), ms);
  }

  private cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Emits `renew` and resolves with the answer, or `undefined` if none comes in time. */
  private ask(token: string): Promise<{ status?: string; errorCode?: string } | undefined> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(undefined), ANSWER_MS);
      this.socket.emit("renew", token, (answer: unknown) => {
        this.clock.clearTimeout(timer);
        resolve(answer as { status?: string; errorCode?: string } | undefined);
      });
    });
  }

  private async renew(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      const token = await this.getToken();
      if (!token || this.stopped) return;
      const reply = await this.ask(token);
      if (reply?.status === "success") {
        this.socket.auth = { token };
        this.track(token);
      } else if (reply?.errorCode !== "auth.renewOtherUser") {
        this.schedule(RETRY_MS);
      }
    } catch {
      if (!this.stopped) this.schedule(RETRY_MS);
    } finally {
      this.running = false;
    }
  }
}
