/**
 * Submit a simulation, poll its status with backoff until it has finished, then read its
 * summary (a few kB: KPIs, sites against their limits, vehicles, chargers), not the result
 * envelope (megabytes for a week): what the Next.js app does in a route handler, so the API
 * key stays on the server. From clients/typescript, against `uvicorn main_api:app --port 8000`:
 *
 *   npm run build && FLEETSIM_API_KEY=dev-key node dist/examples/submit-poll-fetch.js
 *
 * FLEETSIM_API_URL (default http://127.0.0.1:8000) points it elsewhere, e.g. the Cloud Run
 * service; FLEETSIM_SCENARIO picks the scenario (default `default`).
 */
import { pathToFileURL } from "node:url";

import {
  createFleetsimClient,
  type FleetsimClient,
  type Job,
  type ResultSummary,
  type SimulationRequest,
} from "../src/client.js";

export const DEFAULT_API_URL = "http://127.0.0.1:8000";

export class SimulationFailed extends Error {
  readonly job: Job;

  constructor(job: Job) {
    super(`simulation ${job.job_id} failed: ${job.error?.type}: ${job.error?.message}`);
    this.job = job;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Submit `request` and wait until its job has succeeded; a repeated call with the same
 * `idempotencyKey` (or the same request) reuses the job. */
export async function runSimulation(
  client: FleetsimClient,
  request: SimulationRequest,
  { idempotencyKey, timeoutMs = 15 * 60_000 }: { idempotencyKey?: string; timeoutMs?: number } = {},
): Promise<Job> {
  const submitted = await client.POST("/v1/simulations", {
    body: request,
    params: { header: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {} },
  });
  if (submitted.error) {
    throw new Error(`submit answered ${submitted.response.status}: ${JSON.stringify(submitted.error)}`);
  }
  const jobId = submitted.data.job_id;

  const deadline = Date.now() + timeoutMs;
  let delayMs = 500;
  for (;;) {
    const polled = await client.GET("/v1/simulations/{job_id}", {
      params: { path: { job_id: jobId } },
    });
    if (polled.error) {
      throw new Error(`status answered ${polled.response.status}: ${JSON.stringify(polled.error)}`);
    }
    const job = polled.data;
    if (job.status === "succeeded") return job;
    if (job.status === "failed") throw new SimulationFailed(job);
    if (Date.now() + delayMs > deadline) {
      throw new Error(`simulation ${jobId} still ${job.status} after ${timeoutMs} ms`);
    }
    // Exponential backoff with jitter, capped: many waiting pages do not poll in step.
    await sleep(delayMs * (0.5 + Math.random() / 2));
    delayMs = Math.min(delayMs * 2, 10_000);
  }
}

/** The summary of a succeeded job: what a KPI card or a job page shows. */
export async function summaryOf(client: FleetsimClient, jobId: string): Promise<ResultSummary> {
  const fetched = await client.GET("/v1/simulations/{job_id}/summary", {
    params: { path: { job_id: jobId } },
  });
  if (fetched.error) {
    throw new Error(`summary answered ${fetched.response.status}: ${JSON.stringify(fetched.error)}`);
  }
  return fetched.data;
}

/** The KPI lines the example prints: the headline, then each site's peak against its limit. */
export function kpiLines(summary: ResultSummary): string[] {
  const { headline, metadata } = summary;
  const lines = [
    `${metadata.scenario}: ${metadata.counts.vehicles} vehicles, ${metadata.counts.trips} trips, ${metadata.strategy}`,
    `feasible=${headline.feasible} stranded_trips=${headline.stranded_trips} min_soc=${headline.min_soc}`,
    `energy_from_grid_kwh=${headline.energy_from_grid_kwh} charging_cost=${headline.charging_cost} ${headline.currency}`,
  ];
  for (const site of summary.sites) {
    const limit = site.site_power_limit_kw ?? "none";
    lines.push(`site ${site.site_id}: peak_kw=${site.peak_kw} limit_kw=${limit}`);
  }
  return lines;
}

async function main(): Promise<void> {
  const baseUrl = process.env.FLEETSIM_API_URL ?? DEFAULT_API_URL;
  const client = createFleetsimClient(baseUrl, process.env.FLEETSIM_API_KEY ?? "");
  const request: SimulationRequest = { scenario: process.env.FLEETSIM_SCENARIO ?? "default" };
  if (process.env.FLEETSIM_FLEET_ID) request.fleet_id = process.env.FLEETSIM_FLEET_ID;
  const job = await runSimulation(client, request);
  console.log(`job ${job.job_id} succeeded`);
  for (const line of kpiLines(await summaryOf(client, job.job_id))) console.log(line);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
}
