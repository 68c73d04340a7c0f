// Reading GET /health defensively: the page shows what it can and never throws on garbage.

export interface HealthLine {
  name: string;
  status: "up" | "down" | "unknown";
  detail: string;
}

export interface HealthSummary {
  ok: boolean;
  headline: string;
  lines: HealthLine[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function summarizeHealth(body: unknown): HealthSummary {
  if (!isRecord(body)) {
    return { ok: false, headline: "unexpected answer from /health", lines: [] };
  }
  const lines: HealthLine[] = [];
  const nats = body.nats === "ok" ? "up" : body.nats === "unreachable" ? "down" : "unknown";
  lines.push({ name: "nats", status: nats, detail: nats === "up" ? "reachable" : "unreachable" });
  const services = isRecord(body.services) ? body.services : {};
  for (const [name, raw] of Object.entries(services)) {
    const s = isRecord(raw) ? raw : {};
    const status = s.status === "up" ? "up" : s.status === "down" ? "down" : "unknown";
    const instances = typeof s.instances === "number" ? s.instances : 0;
    const version = typeof s.version === "string" ? ` v${s.version}` : "";
    const detail =
      status === "up" ? `${instances} instance${instances === 1 ? "" : "s"}${version}` : "not answering";
    lines.push({ name, status, detail });
  }
  const ok = body.status === "ok" && lines.every((l) => l.status === "up");
  const headline = typeof body.message === "string" ? body.message : ok ? "all services up" : "degraded";
  return { ok, headline, lines };
}
