// The api client: types generated from the api's OpenAPI schema (./scripts/gen-client).
import createClient from "openapi-fetch";

import { ACTIVE_STATES } from "./constants";
import type { components, paths } from "./schema";

export type Session = components["schemas"]["Session"];
export type Recording = components["schemas"]["Recording"];
export type SessionEvent = components["schemas"]["SessionEvent"];
export type RecordingEvent = components["schemas"]["RecordingEvent"];
export type PreviewStatus = components["schemas"]["PreviewStatus"];
export type PreviewConfig = components["schemas"]["PreviewConfig"];
export type PreviewFormat = NonNullable<PreviewStatus["format"]>;
export type ClientConfig = components["schemas"]["ClientConfig"];
export type RecordingHealth = components["schemas"]["RecordingHealth"];
export type Gap = components["schemas"]["Gap"];
export type Reconnect = components["schemas"]["Reconnect"];
export type FitEstimate = components["schemas"]["FitEstimate"];
export type StreamMeasurement = components["schemas"]["StreamMeasurement"];

export type AuthState = components["schemas"]["AuthState"];

export const api = createClient<paths>({ baseUrl: "" });

/** Fired when the api answers 401 outside the login's own routes: the login ended (logged out
 * elsewhere, the password changed, expired); the page shows its login form again. */
export const LOGGED_OUT_EVENT = "camrec:logged-out";
api.use({
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url, window.location.href).pathname.startsWith("/api/auth")) {
      window.dispatchEvent(new Event(LOGGED_OUT_EVENT));
    }
    return response;
  },
});

/** The server's own words for a failed call ({"code", "message"} bodies), never a bare code. */
export function errorMessage(error: unknown, response?: Response): string {
  if (error && typeof error === "object") {
    const body = error as { message?: unknown; detail?: unknown };
    if (typeof body.message === "string" && body.message) return body.message;
    if (typeof body.detail === "string" && body.detail) return body.detail;
  }
  if (error instanceof Error) return `cannot reach camrec: ${error.message}`;
  if (response) return `the server answered ${response.status} ${response.statusText}`.trim();
  return "something went wrong";
}

/** Recording states in which a recording is still running (the contracts' ACTIVE_STATES). */
export { ACTIVE_STATES };
export const isActive = (rec: Recording): boolean => (ACTIVE_STATES as readonly string[]).includes(rec.state);
