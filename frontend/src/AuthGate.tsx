import { useCallback, useEffect, useState } from "react";

import { api, type AuthState, errorMessage, LOGGED_OUT_EVENT } from "./api/client";
import { App } from "./App";
import { Login } from "./components/Login";

/** Asks the api whether a login is needed: the login form, or the page (with the account's
 * buttons when there is a login). Back to the form when the api says the login ended. */
export function AuthGate() {
  const [auth, setAuth] = useState<AuthState | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const { data, error: failure, response } = await api.GET("/api/auth");
      if (data) {
        setAuth(data);
        setError(null);
      } else setError(errorMessage(failure, response));
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, []);

  useEffect(() => {
    void load();
    const again = () => void load();
    window.addEventListener(LOGGED_OUT_EVENT, again);
    return () => window.removeEventListener(LOGGED_OUT_EVENT, again);
  }, [load]);

  if (auth === null) {
    return error ? (
      <p className="error" role="alert">
        {error}
      </p>
    ) : null;
  }
  if (auth.required && !auth.logged_in) return <Login onLoggedIn={setAuth} />;
  return <App account={auth.required ? auth : null} onAccountChanged={setAuth} />;
}
