/**
 * Publish a job straight to the jobs topic, without the HTTP API: the worker takes the request
 * fields at the top level plus `mode`, creates the job row itself (keyed by the `job_id`
 * attribute, else by the request hash) and runs it. Poll the `simulations` row (see
 * ../schema.ts) or `GET /v1/simulations/{job_id}` for the outcome.
 *
 *   npm run build && FLEETSIM_PUBSUB_TOPIC=projects/<project>/topics/fleetsim-jobs \
 *     node dist/examples/publish-direct.js
 *
 * Credentials come from Application Default Credentials; PUBSUB_EMULATOR_HOST selects the
 * emulator.
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";

import { PubSub } from "@google-cloud/pubsub";

import type { Job, SimulationRequest } from "../src/client.js";

/** Where the worker writes the result: the `simulations` row, or an object in the bucket. */
export type SinkMode = Job["mode"];

/** The message body a direct publisher sends: the request itself, plus `mode`. */
export type DirectJob = SimulationRequest & { mode: SinkMode };

/** Publish `request` as a job; returns the job id the row will carry and the message id. */
export async function publishJob(
  topicName: string,
  request: SimulationRequest,
  { jobId = randomUUID(), mode = "db" }: { jobId?: string; mode?: SinkMode } = {},
): Promise<{ jobId: string; messageId: string }> {
  const topic = new PubSub().topic(topicName);
  const job: DirectJob = { ...request, mode };
  const messageId = await topic.publishMessage({ json: job, attributes: { job_id: jobId } });
  return { jobId, messageId };
}

async function main(): Promise<void> {
  const topicName = process.env.FLEETSIM_PUBSUB_TOPIC;
  if (!topicName) throw new Error("set FLEETSIM_PUBSUB_TOPIC=projects/<project>/topics/<name>");
  const { jobId, messageId } = await publishJob(topicName, {
    scenario: "default",
    strategy: "time_of_use",
    weather: { ambient_c: -5 },
  });
  console.log(`published message ${messageId} for job ${jobId}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
}
