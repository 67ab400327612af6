// The HTTP API client: bearer token, JSON in and out, RFC 9457 problems as
// ApiError, and an Idempotency-Key on every write so a retried click never
// acts twice.

export interface FieldError { field: string; message: string }

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fields: FieldError[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail || code);
  }
}

export interface Client {
  get<T>(path: string): Promise<T>;
  send<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T>;
}

export interface ClientOptions {
  base: string;
  token: () => string | null;
  language: () => string;
  onUnauthorized: () => void;
}

// inFlight counts requests under way; the page carries data-busy (and the
// panel aria-busy) while any is, so assistive technology and the browser
// tests know when the view is settled.
let inFlight = 0;
function busy(delta: number): void {
  inFlight += delta;
  document.documentElement.toggleAttribute("data-busy", inFlight > 0);
  document.getElementById("panel")?.setAttribute("aria-busy", String(inFlight > 0));
}

export function newClient(o: ClientOptions): Client {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    busy(1);
    try {
      return await send<T>(method, path, body);
    } finally {
      // After the caller's continuation has drawn the answer.
      setTimeout(() => busy(-1), 0);
    }
  }
  async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json", "Accept-Language": o.language() };
    const tok = o.token();
    if (tok) headers.Authorization = `Bearer ${tok}`;
    if (method !== "GET") {
      headers["Idempotency-Key"] = crypto.randomUUID();
      if (body !== undefined) headers["Content-Type"] = "application/json";
    }
    let resp: Response;
    try {
      resp = await fetch(o.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "network", "The service could not be reached.");
    }
    const text = await resp.text();
    let data: any = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (resp.ok) return data as T;
    if (resp.status === 401) o.onUnauthorized();
    if (data && typeof data.code === "string") {
      const { type: _t, title: _ti, status: _s, detail, code, instance: _i, errors, ...extra } = data;
      throw new ApiError(resp.status, code, String(detail ?? ""), Array.isArray(errors) ? errors : [], extra);
    }
    // The gateway's own answers (401, 404, 429, 5xx) are {"message": ...}.
    throw new ApiError(resp.status, `http_${resp.status}`, data?.message ?? resp.statusText);
  }
  return {
    get: (path) => request("GET", path),
    send: (method, path, body) => request(method, path, body),
  };
}
