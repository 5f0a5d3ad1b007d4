/**
 * Submit a simulation, poll its status with backoff until it has finished, fetch the result:
 * what the Next.js app does (in a route handler, so the API key stays on the server).
 *
 *   FLEETSIM_API_URL=https://fleetsim-api-....run.app FLEETSIM_API_KEY=... node submit-poll-fetch.js
 */
import { pathToFileURL } from "node:url";

import {
  createFleetsimClient,
  type FleetsimClient,
  type Job,
  type SimulationRequest,
  type SimulationResult,
} from "../src/client";

export class SimulationFailed extends Error {
  constructor(readonly job: Job) {
    super(`simulation ${job.job_id} failed: ${job.error?.type}: ${job.error?.message}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The result of `request`; a repeated call with the same `idempotencyKey` reuses the job. */
export async function runSimulation(
  client: FleetsimClient,
  request: SimulationRequest,
  { idempotencyKey, timeoutMs = 15 * 60_000 }: { idempotencyKey?: string; timeoutMs?: number } = {},
): Promise<SimulationResult> {
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
    if (job.status === "succeeded") break;
    if (job.status === "failed") throw new SimulationFailed(job);
    if (Date.now() + delayMs > deadline) {
      throw new Error(`simulation ${jobId} still ${job.status} after ${timeoutMs} ms`);
    }
    // Exponential backoff with jitter, capped: many waiting pages do not poll in step.
    await sleep(delayMs * (0.5 + Math.random() / 2));
    delayMs = Math.min(delayMs * 2, 10_000);
  }

  const fetched = await client.GET("/v1/simulations/{job_id}/result", {
    params: { path: { job_id: jobId } },
  });
  if (fetched.error) {
    throw new Error(`result answered ${fetched.response.status}: ${JSON.stringify(fetched.error)}`);
  }
  return fetched.data;
}

async function main(): Promise<void> {
  const baseUrl = process.env.FLEETSIM_API_URL ?? "http://127.0.0.1:8080";
  const client = createFleetsimClient(baseUrl, process.env.FLEETSIM_API_KEY ?? "");
  const result = await runSimulation(client, { scenario: process.env.FLEETSIM_SCENARIO ?? "default" });
  const { kpis } = result.metadata;
  console.log(
    `feasible=${kpis.feasible} stranded_trips=${kpis.stranded_trips} ` +
      `energy_from_grid_kwh=${kpis.energy_from_grid_kwh} charging_cost=${kpis.charging_cost} ${kpis.currency}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
}
