// The chartcoder HTTP API as the review page uses it. The key travels only in the Authorization header.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

function errorMessage(status, body) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) {
    return body.detail.map((issue) => `${(issue.loc || []).join(".")}: ${issue.msg}`).join("; ");
  }
  return `The server answered HTTP ${status}.`;
}

export class Api {
  constructor(token, { onUnauthorized } = {}) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, { json, headers = {}, signal } = {}) {
    const init = {
      method,
      headers: { Accept: "application/json", Authorization: `Bearer ${this.token}`, ...headers },
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
      signal,
    };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    const response = await fetch(path, init);
    let body = null;
    if ((response.headers.get("content-type") || "").includes("json")) {
      body = await response.json().catch(() => null);
    }
    if (!response.ok) {
      const error = new ApiError(response.status, errorMessage(response.status, body), body);
      if (response.status === 401 && this.onUnauthorized) this.onUnauthorized(error);
      throw error;
    }
    return { status: response.status, body, headers: response.headers };
  }

  async listNotes({ status = "pending", limit = 100, offset = 0 } = {}) {
    const query = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    if (status) query.set("status", status);
    return (await this.request("GET", `/v1/notes?${query}`)).body;
  }

  async getNote(id) {
    return (await this.request("GET", `/v1/notes/${encodeURIComponent(id)}`)).body;
  }

  async createNote({ text, setting, note_id }) {
    const payload = { text, setting };
    if (note_id) payload.note_id = note_id;
    return (await this.request("POST", "/v1/notes", { json: payload })).body;
  }

  async submitReview(id, review, idempotencyKey) {
    return this.request("POST", `/v1/notes/${encodeURIComponent(id)}/review`, {
      json: review,
      headers: { "Idempotency-Key": idempotencyKey },
    });
  }

  async searchCodes(q, { limit = 10, signal } = {}) {
    const query = new URLSearchParams({ q, limit: String(limit) });
    return (await this.request("GET", `/v1/codes/search?${query}`, { signal })).body;
  }

  async describeCode(code) {
    return (await this.request("GET", `/v1/codes/${encodeURIComponent(code)}`)).body;
  }
}

export function newIdempotencyKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return `review-${crypto.randomUUID()}`;
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `review-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
