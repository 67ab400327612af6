// Signing in. Locally the gateway's POST /_local/token hands out a token for
// a demo user; in AWS the console is an OpenID Connect public client: the
// authorization code flow with PKCE (S256), no client secret, the token kept
// in sessionStorage (gone when the tab closes) and never in a cookie.

export interface DemoUser { id: string; name: string; roles: string[] }

export interface Config {
  apiBase: string;
  auth: {
    mode: "local" | "oidc";
    authorizeUrl?: string;
    tokenUrl?: string;
    logoutUrl?: string;
    clientId?: string;
    scope?: string;
    tokenField?: "id_token" | "access_token";
    demo?: { partnerId: string; users: DemoUser[] };
  };
}

export interface Session {
  token: string;
  userId: string;
  partnerId: string;
  roles: string[];
  expiresAt: number; // ms since the epoch
}

const sessionKey = "pbs.session";
const pkceKey = "pbs.pkce";

export async function loadConfig(): Promise<Config> {
  const resp = await fetch("config.json", { cache: "no-store" });
  if (!resp.ok) throw new Error(`config.json: ${resp.status}`);
  return (await resp.json()) as Config;
}

// sessionFromToken reads the claims the service reads: sub, partner_id and
// roles (a JSON array, or one string of space-separated roles as a Cognito
// pre-token-generation trigger writes them).
export function sessionFromToken(token: string): Session {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a JWT");
  const json = new TextDecoder().decode(base64urlDecode(part));
  const c = JSON.parse(json);
  let roles: string[] = [];
  if (Array.isArray(c.roles)) roles = c.roles.map(String);
  else if (typeof c.roles === "string") roles = c.roles.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  return {
    token,
    userId: String(c.sub ?? ""),
    partnerId: String(c.partner_id ?? ""),
    roles,
    expiresAt: typeof c.exp === "number" ? c.exp * 1000 : Date.now() + 3600_000,
  };
}

export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(sessionKey);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    if (s.expiresAt > Date.now() + 30_000) return s;
  } catch {
    // a damaged entry is a signed-out tab
  }
  sessionStorage.removeItem(sessionKey);
  return null;
}

function keep(s: Session): Session {
  sessionStorage.setItem(sessionKey, JSON.stringify(s));
  return s;
}

export async function signInLocal(partnerId: string, userId: string, roles: string[]): Promise<Session> {
  const resp = await fetch("/_local/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ partnerId, userId, roles }),
  });
  const data = await resp.json();
  if (!resp.ok) throw new Error(data?.detail ?? `token: ${resp.status}`);
  return keep(sessionFromToken(data.token));
}

function redirectURI(): string {
  return location.origin + location.pathname;
}

// beginOIDC leaves for the issuer's hosted login.
export async function beginOIDC(cfg: Config): Promise<void> {
  const a = cfg.auth;
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem(pkceKey, JSON.stringify({ verifier, state, returnTo: location.hash }));
  const u = new URL(a.authorizeUrl!);
  u.searchParams.set("response_type", "code");
  u.searchParams.set("client_id", a.clientId!);
  u.searchParams.set("redirect_uri", redirectURI());
  u.searchParams.set("scope", a.scope || "openid");
  u.searchParams.set("state", state);
  u.searchParams.set("code_challenge", challenge);
  u.searchParams.set("code_challenge_method", "S256");
  location.assign(u.toString());
}

// completeOIDC finishes a sign-in when the issuer sent the browser back with
// ?code=&state= (or ?error=); null when this load is not such a return.
export async function completeOIDC(cfg: Config): Promise<Session | null> {
  const q = new URLSearchParams(location.search);
  const code = q.get("code");
  const err = q.get("error");
  if (!code && !err) return null;
  const saved = JSON.parse(sessionStorage.getItem(pkceKey) ?? "null") as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(pkceKey);
  history.replaceState(null, "", redirectURI() + (saved?.returnTo ?? ""));
  if (err) throw new Error(`${err}: ${q.get("error_description") ?? ""}`);
  if (!saved || saved.state !== q.get("state")) throw new Error("The sign-in response does not match this tab's request (state).");
  const a = cfg.auth;
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    client_id: a.clientId!,
    code: code!,
    redirect_uri: redirectURI(),
    code_verifier: saved.verifier,
  });
  const resp = await fetch(a.tokenUrl!, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(`token endpoint: ${resp.status} ${data.error ?? ""}`);
  const token = data[a.tokenField || "id_token"];
  if (typeof token !== "string") throw new Error(`the token endpoint sent no ${a.tokenField || "id_token"}`);
  return keep(sessionFromToken(token));
}

// signOut forgets the token; with OIDC it also ends the hosted-login session.
export function signOut(cfg: Config): void {
  sessionStorage.removeItem(sessionKey);
  if (cfg.auth.mode === "oidc" && cfg.auth.logoutUrl) {
    const u = new URL(cfg.auth.logoutUrl);
    u.searchParams.set("client_id", cfg.auth.clientId!);
    u.searchParams.set("logout_uri", redirectURI());
    location.assign(u.toString());
    return;
  }
  location.reload();
}

function base64url(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function base64urlDecode(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "="));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}
