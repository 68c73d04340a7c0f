import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";

import { api, type AuthState, type ClientConfig, isActive, type Recording, type Session } from "./api/client";
import { RECORDING_PRESETS_S } from "./api/constants";
import { Account } from "./components/Account";
import { NewSession } from "./components/NewSession";
import { Recordings } from "./components/Recordings";
import { SessionCard } from "./components/SessionCard";
import { EventStore, eventsUrl } from "./events";

const store = new EventStore(eventsUrl(window.location));
const DEFAULT_DURATIONS: (number | null)[] = [...RECORDING_PRESETS_S, null];

type Props = {
  /** the login, when camrec needs one (null: no login) */
  account: AuthState | null;
  onAccountChanged: (state: AuthState) => void;
};

export function App({ account, onAccountChanged }: Props) {
  const [config, setConfig] = useState<ClientConfig | null>(null);
  const [sessions, setSessions] = useState<Session[]>([]);
  const [limit, setLimit] = useState(3);
  const [recordings, setRecordings] = useState<Recording[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const connection = useSyncExternalStore(store.subscribeState, store.getState);
  const generation = useSyncExternalStore(store.subscribeState, store.getGeneration);

  const loadSessions = useCallback(async () => {
    const { data } = await api.GET("/api/sessions");
    if (data) {
      setSessions(data.sessions);
      if (data.limit) setLimit(data.limit);
    }
  }, []);
  const loadRecordings = useCallback(async () => {
    const { data } = await api.GET("/api/recordings");
    if (data) setRecordings(data.recordings);
  }, []);
  const loadAll = useCallback(async () => {
    try {
      const [{ data }] = await Promise.all([api.GET("/api/config"), loadSessions(), loadRecordings()]);
      if (data) setConfig(data);
      setLoadError(null);
    } catch (error) {
      setLoadError(error instanceof Error ? error.message : String(error));
    }
  }, [loadSessions, loadRecordings]);

  useEffect(() => {
    store.start();
    return () => store.stop();
  }, []);

  // Every (re)connection of the event socket: fetch the state, events may have been missed.
  useEffect(() => {
    if (generation > 0) void loadAll();
  }, [generation, loadAll]);

  useEffect(
    () =>
      store.onEvent((message) => {
        if (message.kind === "session") {
          void loadSessions().catch(() => undefined);
          return;
        }
        if (message.kind !== "recording") return;
        const event = message.event;
        if (event.event === "progress") {
          setRecordings((list) =>
            list.map((r) =>
              r.id === event.recording_id
                ? {
                    ...r,
                    state: event.state,
                    duration_s: event.elapsed_s ?? r.duration_s,
                    size_bytes: event.size_bytes ?? r.size_bytes,
                  }
                : r,
            ),
          );
        } else {
          void loadRecordings().catch(() => undefined);
        }
      }),
    [loadSessions, loadRecordings],
  );

  const activeBySession = useMemo(() => {
    const map = new Map<string, Recording>();
    for (const rec of recordings) {
      if (isActive(rec) && !map.has(rec.session_id)) {
        map.set(rec.session_id, rec);
      }
    }
    return map;
  }, [recordings]);

  const refresh = () => void loadAll();
  const durations = config?.recording_durations_s ?? DEFAULT_DURATIONS;

  return (
    <>
      <header className="top">
        <h1>camrec</h1>
        <p>Self-hosted camera recorder</p>
        {account ? <Account auth={account} onChanged={onAccountChanged} /> : null}
      </header>
      {connection === "reconnecting" ? (
        <div className="banner" role="status" data-testid="reconnecting">
          Connection to camrec lost — reconnecting…
        </div>
      ) : null}
      {loadError ? (
        <p className="error" role="alert">
          cannot reach camrec: {loadError}
        </p>
      ) : null}
      <main>
        <NewSession config={config} openCount={sessions.length} limit={limit} onOpened={refresh} />
        <section aria-labelledby="sessions-title">
          <h2 id="sessions-title" className="visually-hidden">
            Open cameras
          </h2>
          {sessions.length === 0 ? (
            <p className="empty panel">No camera open. Paste a camera URL above and press Open.</p>
          ) : (
            <div className="sessions">
              {sessions.map((s) => (
                <SessionCard
                  key={s.id}
                  session={s}
                  durations={durations}
                  recording={activeBySession.get(s.id) ?? null}
                  onChanged={refresh}
                />
              ))}
            </div>
          )}
        </section>
        <Recordings recordings={recordings} onChanged={refresh} />
      </main>
    </>
  );
}
