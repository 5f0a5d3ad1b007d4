/** A typed client of the fleetsim HTTP API; paths and bodies come from the generated `api.ts`. */
import createClient from "openapi-fetch";

import type { components, paths } from "./api.js";

export type Schemas = components["schemas"];
export type SimulationRequest = Schemas["SimulationRequest"];
export type SimulationResult = Schemas["SimulationResult"];
export type ResultSummary = Schemas["ResultSummary"];
export type HeadlineKpis = Schemas["HeadlineKpis"];
export type Job = Schemas["Job"];
export type JobStatus = Job["status"];
export type StudyRequest = Schemas["StudyRequest"];
export type StudyResult = Schemas["StudyResult"];
export type Study = Schemas["Study"];

export type FleetsimClient = ReturnType<typeof createFleetsimClient>;

/** Every call carries `X-API-Key`; keep the key on the server (a route handler or server action). */
export function createFleetsimClient(baseUrl: string, apiKey: string, fetchImpl?: typeof fetch) {
  return createClient<paths>({
    baseUrl,
    headers: { "X-API-Key": apiKey },
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}
