import { type FormEvent, useState } from "react";

import { api, type AuthState, errorMessage } from "../api/client";
import { ErrorLine } from "./ErrorLine";

/** The login form, shown instead of the page when camrec needs a login and has none. */
export function Login({ onLoggedIn }: { onLoggedIn: (state: AuthState) => void }) {
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { data, error: failure, response } = await api.POST("/api/auth/login", { body: { password } });
      if (data && response.ok) onLoggedIn(data);
      else setError(errorMessage(failure, response));
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="panel" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">camrec</h1>
        <p>
          This camrec needs a login. The first start printed the admin password in the api&apos;s log (
          <code>docker compose logs api</code>).
        </p>
        <label>
          Password
          <input
            type="password"
            name="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="current-password"
            required
            autoFocus
          />
        </label>
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <ErrorLine error={error} />
      </form>
    </main>
  );
}
