// The admin page: polls /admin/plugins once a second and shows every published route version and
// stage with its hash, live counters, limits and capabilities, the versions refused for a missing
// stage and the files that failed to load. A hot swap shows as a new hash and one more load.
//
// It holds no data of its own: on the public address the endpoint wants an admin token, which the
// operator pastes in and which stays in this tab's session storage.

interface StageReport {
  hash: string;
  path: string;
  limits: { fuel: number; timeoutMs: number; memoryMb: number; instancePolicy: string; rateLimitPerMinute: number };
  capabilities: string[];
  calls: number;
  errors: Record<string, number>;
  errorTotal: number;
  warmInstances: number;
  instanceMemoryBytes: number;
  loads: number;
  loadFailures: number;
}

interface Report {
  generation: number;
  scans: number;
  versionsAlive: number;
  configError: string | null;
  routes: { route: string; version: number; stages: Record<string, StageReport> }[];
  unavailable: { route: string; version: number; stage: string; reason: string }[];
  loadErrors: { path: string; message: string }[];
}

const POLL_MS = 1000;
const TOKEN_KEY = "synchost-admin-token";

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`the page has no ${id}`);
  return found;
};

const state = element<HTMLSpanElement>("state");
const login = element<HTMLElement>("login");
const form = element<HTMLFormElement>("token-form");

function show(kind: string, text: string): void {
  state.dataset.state = kind;
  state.textContent = text;
}

function cell(text: string, options: { testId?: string; title?: string; number?: boolean } = {}): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (options.testId) td.dataset.testid = options.testId;
  if (options.title) td.title = options.title;
  if (options.number) td.className = "number";
  return td;
}

function bytes(count: number): string {
  if (count >= 1 << 20) return `${(count / (1 << 20)).toFixed(1)} MiB`;
  if (count >= 1 << 10) return `${(count / (1 << 10)).toFixed(0)} KiB`;
  return `${count} B`;
}

function render(report: Report): void {
  const rows: HTMLTableRowElement[] = [];
  for (const route of report.routes) {
    for (const [stage, s] of Object.entries(route.stages)) {
      const id = `${route.route}-v${route.version}-${stage}`;
      const tr = document.createElement("tr");
      tr.dataset.testid = `row-${id}`;
      const errors = Object.entries(s.errors).map(([code, n]) => `${code}: ${n}`).join(", ");
      tr.append(
        cell(route.route),
        cell(`v${route.version}`),
        cell(stage),
        cell(s.hash.slice(0, 12), { testId: `hash-${id}`, title: `${s.hash}\n${s.path}` }),
        cell(String(s.calls), { testId: `calls-${id}`, number: true }),
        cell(String(s.errorTotal), { testId: `errors-${id}`, title: errors || "none", number: true }),
        cell(String(s.warmInstances), { number: true }),
        cell(bytes(s.instanceMemoryBytes), { number: true }),
        cell(s.loadFailures ? `${s.loads} (${s.loadFailures} failed)` : String(s.loads), { testId: `loads-${id}`, number: true }),
        cell(`fuel ${s.limits.fuel || "∞"}, ${s.limits.timeoutMs || "∞"} ms, ${s.limits.memoryMb} MiB, ${s.limits.instancePolicy}`),
        cell(s.capabilities.join(", ") || "none"),
      );
      // The full hash, for tests and for copying.
      tr.dataset.hash = s.hash;
      rows.push(tr);
    }
  }
  element("routes").replaceChildren(...rows);
  const item = (text: string) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  };
  element("unavailable").replaceChildren(
    ...report.unavailable.map((u) => item(`${u.route} v${u.version}: ${u.stage} stage missing (${u.reason})`)),
  );
  element("load-errors").replaceChildren(...report.loadErrors.map((e) => item(`${e.path}: ${e.message}`)));
  const config = report.configError ? `; config rejected: ${report.configError}` : "";
  element("summary").textContent =
    `table generation ${report.generation}, ${report.scans} scans, ${report.versionsAlive} stages in memory${config}`;
  element("summary").dataset.generation = String(report.generation);
}

async function poll(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  try {
    const response = await fetch("plugins", { headers, cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      login.hidden = false;
      show("unauthorized", response.status === 401 ? "admin token needed" : "this token is not an admin's");
      return;
    }
    if (!response.ok) throw new Error(`/admin/plugins answered ${response.status}`);
    login.hidden = true;
    render((await response.json()) as Report);
    show("live", `live, ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    show("error", error instanceof Error ? error.message : String(error));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = new FormData(form).get("token");
  if (typeof value === "string" && value.trim()) sessionStorage.setItem(TOKEN_KEY, value.trim());
  void poll();
});

async function loop(): Promise<void> {
  await poll();
  setTimeout(() => void loop(), POLL_MS);
}

void loop();
