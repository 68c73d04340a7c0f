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
}


def _row(label: str, value: Any, target: str = "") -> str:
    return f"| {label:<44} | {value!s:>24} | {target:>12} |"


def table(r: dict[str, Any]) -> str:
    s = r["scenarios"]
    lines = [_row("measure", "value", "target"), _row("-" * 44, "-" * 24, "-" * 12)]
    for name, sc in s.items():
        lat = sc["preview_latency_ms"]
        lines.append(_row(f"{name}: CPU % of one core, total", sc["cpu_pct_total"]))
        lines.append(_row(f"{name}: CPU % per session", sc["cpu_pct_per_session"],
                          "≤ 15" if name.startswith("camrec") else ""))  # fmt: skip
        lines.append(_row(f"{name}: preview latency p50/p95/max ms",
                          f"{lat['p50']}/{lat['p95']}/{lat['max']}",
                          "p95 ≤ 400" if name.startswith("camrec") else ""))  # fmt: skip
        lines.append(_row(f"{name}: preview frames received", sc["preview_frames"]))
    lines.append(_row("camrec_3_h264: CPU % total", s["camrec_3_h264"]["cpu_pct_total"], "≤ 50"))
    for n in ("1", "3"):
        naive, ours = s.get(f"naive_{n}_h264"), s.get(f"camrec_{n}_h264")
        if naive and ours and ours["cpu_pct_total"]:
            ratio = ours["cpu_pct_total"] / naive["cpu_pct_total"]
            lines.append(_row(f"CPU camrec/naive, {n} session(s)", f"{ratio:.2f}"))
            lp, np_ = ours["preview_latency_ms"]["p95"], naive["preview_latency_ms"]["p95"]
            if lp and np_:
                lines.append(_row(f"preview p95 camrec/naive, {n} session(s)", f"{lp / np_:.2f}"))
    lines.append(_row("record start (API → first fragment) s", r["record_start_s"], "≤ 2"))
    if "stop_reply_s" in r:
        lines.append(_row("stop → reply s (each stop)", r["stop_reply_s"], "≤ 2"))
    lines.append(_row("stop → final file s (~60 s files)", r["stop_s_60s_files"]))
    long = r["stop_long_file"]
    lines.append(_row(f"stop → final file s ({long['duration_s']} s, {long['size_mb']} MB)",
                      long["stop_s"], "≤ 5"))  # fmt: skip
    lines += [_row(*row) for row in api_rows(r["api"])]
    peak = s["camrec_3_h264"]["peak_rss_mb"]
    lines.append(_row("peak RSS MB (3 sessions)", ", ".join(f"{k} {v}" for k, v in peak.items())))
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
        colour = (208, 87, 11) if name.startswith("camrec") else (30, 38, 179)
        cv2.putText(img, name, (20, y + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1)
        cv2.rectangle(img, (left, y), (left + int(value * scale), y + bar), colour, -1)
        cv2.putText(img, f"{value:.1f}", (left + int(value * scale) + 8, y + 21),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1)  # fmt: skip
    cv2.imwrite(str(path), img)


def write_api_report(results: dict[str, Any], out: Path) -> None:
    """``--only api``: its rows, and ``api.json`` (latest.json keeps the last full run)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "api.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [_row("measure", "value", "target"), _row("-" * 44, "-" * 24, "-" * 12)]
    lines += [_row(*row) for row in api_rows(results["api"])]
    print("\n".join(lines))
    api = results["api"]
    print(f"\nthe loaded run: beside {api['loaded']['hog']}")
    print(f"the bench's client at nice {api['client_nice']}; the stack and the hog at 0")
    print(f"written: {out / 'api.json'}")


def write_report(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    chart(results, out / "latest.png")
    print(table(results))
    print(f"\nwritten: {out / 'latest.json'}, {out / 'latest.png'}")
