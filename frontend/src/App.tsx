import { useEffect, useState } from "react";

import { summarizeHealth, type HealthSummary } from "./health";

type Load = { kind: "loading" } | { kind: "done"; summary: HealthSummary } | { kind: "error"; message: string };

export function App() {
  const [state, setState] = useState<Load>({ kind: "loading" });

  useEffect(() => {
    const controller = new AbortController();
    fetch("/health", { signal: controller.signal })
      .then(async (response) => setState({ kind: "done", summary: summarizeHealth(await response.json()) }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) {
          setState({ kind: "error", message: error instanceof Error ? error.message : String(error) });
        }
      });
    return () => controller.abort();
  }, []);

  return (
    <>
      <header>
        <h1>camrec</h1>
        <p>Self-hosted camera recorder</p>
      </header>
      <main>
        <section aria-labelledby="status-title" className="panel">
          <h2 id="status-title">System status</h2>
          {state.kind === "loading" && <p>Checking…</p>}
          {state.kind === "error" && <p role="alert">api unreachable: {state.message}</p>}
          {state.kind === "done" && (
            <>
              <p className={state.summary.ok ? "ok" : "bad"}>{state.summary.headline}</p>
              <ul>
                {state.summary.lines.map((line) => (
                  <li key={line.name}>
                    <span className={`dot ${line.status}`} aria-hidden="true" />
                    <strong>{line.name}</strong> — {line.status}: {line.detail}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </main>
    </>
  );
}
