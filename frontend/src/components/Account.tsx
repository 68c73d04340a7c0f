import { type FormEvent, useState } from "react";

import { api, type AuthState, errorMessage } from "../api/client";
import { ErrorLine } from "./ErrorLine";

/** In the header when logged in: log out, change the password. */
export function Account({ auth, onChanged }: { auth: AuthState; onChanged: (state: AuthState) => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  async function logOut() {
    const { data } = await api.POST("/api/auth/logout");
    onChanged(data ?? { required: true, logged_in: false });
  }

  async function change(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setDone(false);
    try {
      const { data, error: failure, response } = await api.POST("/api/auth/password", {
        body: { current, new: next },
      });
      if (data && response.ok) {
        setCurrent("");
        setNext("");
        setDone(true);
        onChanged(data);
      } else setError(errorMessage(failure, response));
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <div className="account">
      <details>
        <summary>Change password</summary>
        {auth.password_source === "env" ? (
          <p>The password is set by CAMREC_ADMIN_PASSWORD: change it there and restart camrec.</p>
        ) : (
          <form onSubmit={change} aria-label="Change password">
            <label>
              Current password
              <input
                type="password"
                value={current}
                onChange={(e) => setCurrent(e.target.value)}
                autoComplete="current-password"
                required
              />
            </label>
            <label>
              New password (8 characters or more)
              <input
                type="password"
                value={next}
                onChange={(e) => setNext(e.target.value)}
                autoComplete="new-password"
                minLength={8}
                required
              />
            </label>
            <button type="submit">Change</button>
            {done ? <p role="status">Password changed: other browsers are logged out.</p> : null}
            <ErrorLine error={error} />
          </form>
        )}
      </details>
      <button type="button" onClick={() => void logOut()}>
        Log out
      </button>
    </div>
  );
}
