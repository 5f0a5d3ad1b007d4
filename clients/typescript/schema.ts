/**
 * The `simulations`, `studies` and `study_points` tables for Drizzle ORM, read by the Next.js
 * app. Alembic owns the schema (migrations/versions/); this file mirrors it column for column, and
 * tests/integration/test_drizzle_schema.py compares it with a freshly migrated database.
 * The JSONB parts hold the result envelope as the API returns it (`GET /v1/simulations/{id}/result`
 * is those five columns put back together), typed from the OpenAPI components.
 */
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";

import type { components } from "./src/api.js";

type Schemas = components["schemas"];

/** PostgreSQL `bytea` (Drizzle has no built-in builder for it); node-postgres reads a Buffer. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});

export const jobStatuses = ["queued", "running", "succeeded", "failed"] as const;
/** Where a job's result goes: these columns (`db`), or an object at `result_uri` (`gcs`). */
export const jobModes = ["db", "gcs"] as const;

export const simulations = pgTable(
  "simulations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    fleetId: uuid("fleet_id").notNull(),
    status: text("status", { enum: jobStatuses }).notNull().default("queued"),
    /** sha256 of the request body as sent: for reference, not the job's identity. */
    requestHash: text("request_hash").notNull(),
    idempotencyKey: text("idempotency_key"),
    feasible: boolean("feasible"),
    attempts: integer("attempts").notNull().default(0),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    error: jsonb("error").$type<Schemas["JobError"]>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    request: jsonb("request").$type<Schemas["SimulationRequest"]>().notNull(),
    metadata: jsonb("metadata").$type<Schemas["Metadata"]>(),
    trips: jsonb("trips").$type<Schemas["TripResult"][]>(),
    timeSeriesData: jsonb("time_series_data").$type<Schemas["TimeSeriesPoint"][]>(),
    siteLoad: jsonb("site_load").$type<Schemas["SiteLoadPoint"][]>(),
    chargingEvents: jsonb("charging_events").$type<Schemas["ChargingEvent"][]>(),
    mode: text("mode", { enum: jobModes }).notNull().default("db"),
    resultUri: text("result_uri"),
    /** The job's identity with `fleetId`: sha256 of the resolved input, model and schema version. */
    inputDigest: text("input_digest").notNull(),
    /** The canonical result bytes (what `GET .../result` returns), gzip-compressed; null for
     * rows from before it was kept, for gcs results and unfinished jobs. Row parts above
     * 64 MiB are only here (their JSONB column is null). */
    resultGzip: bytea("result_gzip"),
    /** The scenario the request named (null for a message that could not be read). */
    scenario: text("scenario"),
    /** A name for people; not part of the job's identity (a repeat keeps the first label). */
    label: text("label"),
    /** What a job list row shows, once the job succeeded; no result needed. */
    headlineKpis: jsonb("headline_kpis").$type<Schemas["HeadlineKpis"]>(),
    /** What `GET /v1/simulations/{id}/summary` returns, once the job succeeded (db and gcs). */
    summary: jsonb("summary").$type<Schemas["ResultSummary"]>(),
  },
  (t) => [
    unique("uq_simulations_fleet_id_input_digest").on(t.fleetId, t.inputDigest),
    unique("uq_simulations_idempotency_key").on(t.idempotencyKey),
    check("ck_simulations_status", sql`${t.status} IN ('queued', 'running', 'succeeded', 'failed')`),
    check("ck_simulations_attempts", sql`${t.attempts} >= 0`),
    check("ck_simulations_mode", sql`${t.mode} IN ('db', 'gcs')`),
    index("ix_simulations_fleet_id_created_at").on(t.fleetId, t.createdAt, t.id),
    index("ix_simulations_created_at").on(t.createdAt, t.id),
    index("ix_simulations_status").on(t.status),
  ],
);

export type Simulation = typeof simulations.$inferSelect;

/**
 * A succeeded `db` job's envelope, as `GET /v1/simulations/{id}/result` returns it; null before
 * then, and for a `gcs` job, whose row keeps only `metadata` (the rest is at `resultUri`).
 */
export function resultOf(row: Simulation): Schemas["SimulationResult"] | null {
  const { metadata, trips, timeSeriesData, siteLoad, chargingEvents } = row;
  if (row.status !== "succeeded" || row.mode !== "db") return null;
  if (!metadata || !trips || !timeSeriesData || !siteLoad || !chargingEvents) return null;
  return {
    metadata,
    trips,
    time_series_data: timeSeriesData,
    site_load: siteLoad,
    charging_events: chargingEvents,
  };
}

export const studyStatuses = ["running", "finished"] as const;

/** Design studies (`POST /v1/studies`): the request, progress and, once finished, the table. */
export const studies = pgTable(
  "studies",
  {
    id: uuid("id").primaryKey(),
    label: text("label"),
    request: jsonb("request").$type<Schemas["StudyRequest"]>().notNull(),
    status: text("status", { enum: studyStatuses }).notNull().default("running"),
    pointsTotal: integer("points_total").notNull().default(0),
    pointsDone: integer("points_done").notNull().default(0),
    pointsFailed: integer("points_failed").notNull().default(0),
    /** `GET /v1/studies/{id}/result`, once `status` is finished. */
    result: jsonb("result").$type<Schemas["StudyResult"]>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    check("ck_studies_status", sql`${t.status} IN ('running', 'finished')`),
    index("ix_studies_created_at").on(t.createdAt, t.id),
  ],
);

/** Each point of a study and the ordinary simulation job that computes it. */
export const studyPoints = pgTable(
  "study_points",
  {
    studyId: uuid("study_id").notNull().references(() => studies.id, { onDelete: "cascade" }),
    gridIndex: integer("grid_index").notNull(),
    /** The sizing value's index; -1 in a study without a sizing axis. */
    sizeIndex: integer("size_index").notNull(),
    /** path -> value: the grid axes', then the sizing axis's. */
    axisValues: jsonb("axis_values").$type<Record<string, unknown>>().notNull(),
    jobId: uuid("job_id").notNull().references(() => simulations.id),
    installedKw: doublePrecision("installed_kw").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.studyId, t.gridIndex, t.sizeIndex] }),
    index("ix_study_points_job_id").on(t.jobId),
  ],
);

export type Study = typeof studies.$inferSelect;
export type StudyPointRow = typeof studyPoints.$inferSelect;
