import { useCallback, useEffect, useState } from "react";

import { api, type AuthState, errorMessage, LOGGED_OUT_EVENT } from "./api/client";
import { App } from "./App";
import { Login } from "./components/Login";

/** Asks the api whether a login is needed: the login form, or the page (with the account's
 * buttons when there is a login). Back to the form when the api says the login ended. */
const RETRY_MS = 2000;

export function AuthGate() {
  const [auth, setAuth] = useState<AuthState | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Until the api answers (the page opened while camrec starts: nginx's 502), ask again.
  const load = useCallback(async () => {
    let failed: string | null = null;
    try {
      const { data, error: failure, response } = await api.GET("/api/auth");
      if (data) setAuth(data);
      else failed = errorMessage(failure, response);
    } catch (failure) {
      failed = errorMessage(failure);
    }
    setError(failed);
    return failed === null;
  }, []);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const attempt = async () => {
      if (!(await load()) && !stopped) timer = setTimeout(() => void attempt(), RETRY_MS);
    };
    void attempt();
    const again = () => void attempt();
    window.addEventListener(LOGGED_OUT_EVENT, again);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      window.removeEventListener(LOGGED_OUT_EVENT, again);
    };
  }, [load]);

  if (auth === null) {
    return error ? (
      <p className="error" role="alert">
        {error} (trying again)
      </p>
    ) : null;
  }
  if (auth.required && !auth.logged_in) return <Login onLoggedIn={setAuth} />;
  return <App account={auth.required ? auth : null} onAccountChanged={setAuth} />;
}
