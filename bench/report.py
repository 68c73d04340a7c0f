"""The bench's output: a table on stdout, results/latest.json, and results/latest.png."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from api_bench import rows as api_rows

TARGETS = {
    "cpu_per_session_pct": 15.0,
    "cpu_3_sessions_pct": 50.0,
    "preview_p95_ms": 400.0,
    "record_start_s": 2.0,
    "stop_s": 5.0,
    "h264_ws_cpu_per_session_pct": 3.0,
    "h264_ws_p95_ms": 150.0,
    "overload_p95_ms": 1000.0,
    "scale_cpu_total_pct": 50.0,
    "scale_p95_ms": 250.0,
}

SCENARIO_TARGETS = {
    # name: (CPU row it applies to, its target; preview latency target)
    "camrec_1_h264_ws": ("per session", "≤ 3", "p95 ≤ 150"),
    "camrec_1_h264": ("per session", "≤ 15", "p95 ≤ 400"),
    "camrec_3_h264": ("total", "≤ 50", "p95 ≤ 400"),
    "overload_3_jpeg": ("", "", "p95 ≤ 1000"),
    "overload_starved_3_jpeg": ("", "", "p95 ≤ 1000"),
    "scale_16_h264_ws": ("total", "< 50", "p95 ≤ 250"),
}
RATIOS = (  # camrec scenario, naive scenario it is compared with
    ("camrec_1_h264_ws", "naive_1_h264"),
    ("camrec_1_h264", "naive_1_h264"),
    ("camrec_3_h264", "naive_3_h264"),
    ("scale_16_h264_ws", "naive_1_h264"),
    ("overload_3_jpeg", "naive_3_overload"),
)


LABEL = 62


def _row(label: str, value: Any, target: str = "") -> str:
    return f"| {label:<{LABEL}} | {value!s:>24} | {target:>12} |"


def _scenario_rows(name: str, sc: dict[str, Any], idle_pct: float | None) -> list[str]:
    cpu_row, cpu_target, lat_target = SCENARIO_TARGETS.get(name, ("", "", ""))
    lat = sc["preview_latency_ms"]
    per_session = cpu_target * (cpu_row == "per session")
    rows: list[tuple[str, Any, str]] = [
        ("CPU % of one core, total", sc["cpu_pct_total"], cpu_target * (cpu_row == "total")),
        ("CPU % per session", sc["cpu_pct_per_session"], per_session),
    ]
    if idle_pct is not None and sc["sessions"] and "cpu_pct_by_process" in sc:
        # what the sessions add to camrec's stack with none open (camrec_idle, same run)
        added = round((sc["cpu_pct_total"] - idle_pct) / sc["sessions"], 1)
        rows.append(("CPU % per session, above the idle stack", added, per_session))
    if not sc["sessions"]:
        return [_row(f"{name}: {label}", value, target) for label, value, target in rows]
    rows += [
        ("preview latency p50/p95/max ms", f"{lat['p50']}/{lat['p95']}/{lat['max']}", lat_target),
        ("preview frames received", sc["preview_frames"], ""),
    ]
    if "viewer_decode_ms" in sc:
        dec = sc["viewer_decode_ms"]
        rows += [
            ("bench decoder delay p50/p95 ms, not counted", f"{dec['p50']}/{dec['p95']}", ""),
            ("unreadable/mispaired/decoder backlog",
             f"{sc['stamps_unreadable']}/{sc['pictures_mispaired']}/{sc['decoder_backlog_min']}",
             "0/0/2"),
        ]  # fmt: skip
    if "camera_direct_latency_ms" in sc:
        cam = sc["camera_direct_latency_ms"]
        rows.append(
            ("the camera read directly: p50/p95 ms (floor)", f"{cam['p50']}/{cam['p95']}", "")
        )
        if lat["p50"] is not None and cam["p50"] is not None:
            share = f"{lat['p50'] - cam['p50']:.1f}/{lat['p95'] - cam['p95']:.1f}"
            rows.append(("camrec's share p50/p95 ms (latency - floor)", share, ""))
    if "hog_cpu_pct" in sc:
        hog = f"{sc['hog_cpu_pct']}/{sc['client_nice']}/{sc['load_avg_1m']}"
        rows.append(("the CPU hog got % / client nice / load 1m", hog, ""))
    if "starved_ms" in sc:
        rows.append(("the previewer ran (ms)", sc["starved_ms"], ""))
    if "previewer_skipped" in sc:
        skipped = f"{sc['previewer_frames_in']}/{sc['previewer_skipped']}"
        rows.append(("previewer pictures read / skipped (behind)", skipped, ""))
    if "bench_client_cpu_pct" in sc:
        rows.append(("the bench's viewers' CPU % (not camrec's)", sc["bench_client_cpu_pct"], ""))
    return [_row(f"{name}: {label}", value, target) for label, value, target in rows]


def _ratio_rows(s: dict[str, Any]) -> list[str]:
    rows = []
    for ours_name, naive_name in RATIOS:
        ours, naive = s.get(ours_name), s.get(naive_name)
        if not (ours and naive):
            continue
        if naive["cpu_pct_per_session"]:
            ratio = ours["cpu_pct_per_session"] / naive["cpu_pct_per_session"]
            rows.append(_row(f"CPU per session {ours_name}/{naive_name}", f"{ratio:.2f}"))
        lp, np_ = ours["preview_latency_ms"]["p95"], naive["preview_latency_ms"]["p95"]
        if lp and np_:
            rows.append(_row(f"preview p95 {ours_name}/{naive_name}", f"{lp / np_:.2f}"))
    return rows


def table(r: dict[str, Any]) -> str:
    s = r["scenarios"]
    lines = [_row("measure", "value", "target"), _row("-" * LABEL, "-" * 24, "-" * 12)]
    idle = s.get("camrec_idle", {}).get("cpu_pct_total")
    for name, sc in s.items():
        lines += _scenario_rows(name, sc, idle)
    lines += _ratio_rows(s)
    lines.append(_row("record start (API → first fragment) s", r["record_start_s"], "≤ 2"))
    if "stop_reply_s" in r:
        lines.append(_row("stop → reply s (each stop)", r["stop_reply_s"], "≤ 2"))
    if "stop_s_60s_files" in r:
        lines.append(_row("stop → final file s (~60 s files)", r["stop_s_60s_files"]))
    long = r["stop_long_file"]
    lines.append(_row(f"stop → final file s ({long['duration_s']} s, {long['size_mb']} MB)",
                      long["stop_s"], "≤ 5"))  # fmt: skip
    if "api" in r:
        lines += [_row(*row) for row in api_rows(r["api"])]
    for name in ("camrec_3_h264", "scale_16_h264_ws"):
        if name in s:
            peak = s[name]["peak_rss_mb"]
            lines.append(
                _row(f"peak RSS MB ({name})", ", ".join(f"{k} {v}" for k, v in peak.items()))
            )
    if r.get("stack_env"):
        lines.append(_row("stack env", " ".join(f"{k}={v}" for k, v in r["stack_env"].items())))
    lines.append(_row("bench wall time s", r.get("bench_wall_s")))
    return "\n".join(lines)


def chart(r: dict[str, Any], path: Path) -> None:
    """Bars: CPU % of one core (total) per scenario, camrec vs naive."""
    s = r["scenarios"]
    names = list(s)
    values = [s[n]["cpu_pct_total"] for n in names]
    width, height, left, top, bar = 900, 80 + 50 * len(names), 220, 50, 30
    img = np.full((height, width, 3), 255, np.uint8)
    cv2.putText(img, "CPU, % of one core (lower is better)", (20, 30),
                cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2)  # fmt: skip
    scale = (width - left - 80) / max(max(values), 1)
    for i, (name, value) in enumerate(zip(names, values, strict=True)):
        y = top + 20 + i * 50
        colour = (30, 38, 179) if name.startswith("naive") else (208, 87, 11)
        cv2.putText(img, name, (20, y + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1)
        cv2.rectangle(img, (left, y), (left + int(value * scale), y + bar), colour, -1)
        cv2.putText(img, f"{value:.1f}", (left + int(value * scale) + 8, y + 21),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1)  # fmt: skip
    cv2.imwrite(str(path), img)


def write_api_report(results: dict[str, Any], out: Path) -> None:
    """``--only api``: its rows, and ``api.json`` (latest.json keeps the last full run)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "api.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [_row("measure", "value", "target"), _row("-" * LABEL, "-" * 24, "-" * 12)]
    lines += [_row(*row) for row in api_rows(results["api"])]
    print("\n".join(lines))
    api = results["api"]
    print(f"\nthe loaded run: beside {api['loaded']['hog']}")
    print(f"the bench's client at nice {api['client_nice']}; the stack and the hog at 0")
    print(f"written: {out / 'api.json'}")


def write_report(results: dict[str, Any], out: Path, stem: str = "latest") -> None:
    """``latest`` for a run of every default scenario; a partial run writes ``partial``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    chart(results, out / f"{stem}.png")
    print(table(results))
    print(f"\nwritten: {out / f'{stem}.json'}, {out / f'{stem}.png'}")
