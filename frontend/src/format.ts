// How numbers, durations and dates are shown.

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0");
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Labels of the duration buttons: 60 → "1 min", 5400 → "1 h 30", null → "Until stopped". */
export function durationLabel(seconds: number | null): string {
  if (seconds === null) return "Until stopped";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return m ? `${h} h ${String(m).padStart(2, "0")}` : `${h} h`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "–";
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** Share of a timed recording done, 0..1; null for "until stopped". */
export function progressShare(elapsed: number | null | undefined, total: number | null | undefined): number | null {
  if (!total || total <= 0) return null;
  return Math.min(1, Math.max(0, (elapsed ?? 0) / total));
}

/** A frame rate as a stream header states it: 25 → "25", 29.97 → "29.97". */
export function formatHeaderFps(fps: number | null | undefined): string {
  if (fps === null || fps === undefined || !Number.isFinite(fps)) return "–";
  return fps.toFixed(fps % 1 ? 2 : 0);
}

/** A bitrate: 850 → "850 kbit/s", 2100 → "2.1 Mbit/s". */
export function formatBitrate(kbps: number | null | undefined): string {
  if (kbps === null || kbps === undefined || !Number.isFinite(kbps)) return "–";
  if (kbps < 1000) return `${Math.round(kbps)} kbit/s`;
  const mbps = kbps / 1000;
  return `${mbps >= 100 ? Math.round(mbps) : mbps.toFixed(1)} Mbit/s`;
}

/** What the relay really carries next to what the header claims:
 * "25.0 fps measured (header says 25) · 2.1 Mbit/s"; "measuring…" until measured. */
export function measuredLabel(
  measured: { fps: number | null; bitrate_kbps: number } | null | undefined,
  headerFps: number | null | undefined,
): string {
  if (!measured) return "measuring…";
  const header = headerFps ? `header says ${formatHeaderFps(headerFps)}` : "header states none";
  const fps =
    measured.fps !== null && Number.isFinite(measured.fps)
      ? `${measured.fps.toFixed(1)} fps measured (${header})`
      : `no frame rate measured (${header})`;
  return `${fps} · ${formatBitrate(measured.bitrate_kbps)}`;
}

/** Seconds with one decimal: 3.14 → "3.1 s". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  return `${seconds.toFixed(1)} s`;
}

/** Milliseconds: 40 → "40.0 ms". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  return `${ms.toFixed(1)} ms`;
}

/** A gap in a file: "at 0:12 for 3.1 s". */
export function gapLabel(gap: { at_s: number; length_s: number }): string {
  return `at ${formatDuration(gap.at_s)} for ${formatSeconds(gap.length_s)}`;
}

/** A reconnect in a file: "at 0:20, source away 4.2 s". */
export function reconnectLabel(reconnect: { at_s: number; away_s: number | null }): string {
  const away = reconnect.away_s === null ? "for an unknown time" : formatSeconds(reconnect.away_s);
  return `at ${formatDuration(reconnect.at_s)}, source away ${away}`;
}

/** The class modifier of a verdict badge: "has gaps" → "health-has-gaps". */
export function verdictClass(verdict: string): string {
  return `health-${verdict.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
}

/** The frame intervals: "min 39.8 · median 40.0 · max 41.3 ms". */
export function frameIntervalsLabel(
  min: number | null | undefined,
  median: number | null | undefined,
  max: number | null | undefined,
): string {
  const values = [min, median, max];
  if (values.every((v) => v === null || v === undefined)) return "–";
  const shown = values.map((v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(1)));
  return `min ${shown[0]} · median ${shown[1]} · max ${shown[2]} ms`;
}

/** Where a track starts and ends in the file: "0.0 s – 12.3 s"; "none" without it. */
export function spanLabel(start: number | null | undefined, end: number | null | undefined): string {
  if ((start === null || start === undefined) && (end === null || end === undefined)) return "none";
  return `${formatSeconds(start)} – ${formatSeconds(end)}`;
}

/** Audio end minus video end: "+12 ms (audio ends later)", "−40 ms (audio stops first)", "0 ms". */
export function driftLabel(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  const rounded = Math.round(ms);
  if (rounded === 0) return "0 ms";
  return rounded > 0 ? `+${rounded} ms (audio ends later)` : `−${-rounded} ms (audio stops first)`;
}
