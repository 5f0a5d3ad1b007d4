"""clients/typescript/schema.ts (the Next.js app's Drizzle table) against the database Alembic
builds: the same columns in the same order with the same types, nullability and defaults, the
same indexes and constraints, enums with the values the checks allow, and JSONB columns typed
as the result models they hold."""

import asyncio
import re
import typing
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from pydantic import BaseModel

from fleetsim.models import HeadlineKpis, ResultSummary, SimulationRequest, SimulationResult
from fleetsim.models.job import JobError
from fleetsim.models.study import StudyRequest, StudyResult

from .support import driver_dsn

SCHEMA_TS = Path(__file__).resolve().parents[2] / "clients" / "typescript" / "schema.ts"
PG_TYPES = {
    "uuid": "uuid",
    "text": "text",
    "boolean": "boolean",
    "integer": "integer",
    "jsonb": "jsonb",
    "timestamp": "timestamp without time zone",
    "doublePrecision": "double precision",
    "bytea": "bytea",
}
TABLE_START = re.compile(r"^export const \w+ = pgTable\($")
TABLE_NAME = re.compile(r'^\s*"(?P<name>\w+)",$')
TABLES = ("simulations", "studies", "study_points")
COLUMN = re.compile(
    r"^\s*(?P<prop>\w+): (?P<builder>\w+)\(\"(?P<name>\w+)\"(?:, (?P<options>\{[^}]*\}))?\)"
    r"(?P<chain>.*?),?$"
)
CONSTRAINT = re.compile(r"^\s*(?P<kind>index|unique|check)\(\"(?P<name>\w+)\"\)?(?P<rest>.*)$")
ENUM = re.compile(r"^export const (?P<name>\w+) = \[(?P<values>[^\]]*)\] as const;$")
ALLOWED_VALUES = re.compile(r"\((\w+) = ANY \(ARRAY\[(.*)\]\)\)")
"""A check `col IN ('a', 'b')` as pg_get_constraintdef prints it."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    has_default: bool


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    json_types: dict[str, str]
    """JSONB column -> the type named in `.$type<...>()`."""
    indexes: set[tuple[str, tuple[str, ...], bool]]
    """(name, columns, unique), primary key left out."""
    checks: set[str]
    enums: dict[str, list[str]]
    """Column -> the values it may take (Drizzle `{ enum }`, or a database check)."""


def drizzle_tables() -> dict[str, Table]:
    """Each `pgTable(...)` of schema.ts by its name; enum constants are shared."""
    blocks: dict[str, list[str]] = {}
    preamble: list[str] = []
    current: list[str] | None = None
    expect_name = False
    for line in SCHEMA_TS.read_text().splitlines():
        if TABLE_START.match(line):
            expect_name = True
        elif expect_name and (named := TABLE_NAME.match(line)):
            current = blocks.setdefault(named["name"], [])
            expect_name = False
        elif current is not None and line.startswith(");"):
            current = None
        elif current is not None:
            current.append(line)
        else:
            preamble.append(line)
    return {name: drizzle_table(preamble + lines) for name, lines in blocks.items()}


def drizzle_table(lines: list[str]) -> Table:
    columns: list[Column] = []
    json_types: dict[str, str] = {}
    names: dict[str, str] = {}
    indexes: set[tuple[str, tuple[str, ...], bool]] = set()
    checks: set[str] = set()
    enums: dict[str, list[str]] = {}
    constants: dict[str, list[str]] = {}
    for line in lines:
        if enum := ENUM.match(line):
            constants[enum["name"]] = re.findall(r'"(\w+)"', enum["values"])
        elif column := COLUMN.match(line):
            builder, chain = column["builder"], column["chain"]
            assert builder in PG_TYPES, f"schema.ts: unmapped builder {builder}: {line}"
            pg_type = PG_TYPES[builder]
            if builder == "timestamp" and "withTimezone: true" in (column["options"] or ""):
                pg_type = "timestamp with time zone"
            columns.append(
                Column(
                    name=column["name"],
                    type=pg_type,
                    nullable=".notNull()" not in chain and ".primaryKey()" not in chain,
                    has_default=bool(re.search(r"\.default(Now|Random)?\(", chain)),
                )
            )
            names[column["prop"]] = column["name"]
            if enum_name := re.search(r"enum: (\w+)", column["options"] or ""):
                enums[column["name"]] = constants[enum_name[1]]
            if json_type := re.search(r"\.\$type<Schemas\[\"(\w+)\"\](\[\])?>", chain):
                json_types[column["name"]] = json_type[1] + (json_type[2] or "")
        elif constraint := CONSTRAINT.match(line):
            if constraint["kind"] == "check":
                checks.add(constraint["name"])
                continue
            props = re.findall(r"t\.(\w+)", constraint["rest"])
            indexes.add(
                (
                    constraint["name"],
                    tuple(names[p] for p in props),
                    constraint["kind"] == "unique",
                )
            )
    return Table(columns, json_types, indexes, checks, enums)


async def database_table(url: str, table: str) -> Table:
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_name = $1"
            " ORDER BY ordinal_position",
            table,
        )
        columns = [
            Column(
                name=row["column_name"],
                type=row["data_type"],
                nullable=row["is_nullable"] == "YES",
                has_default=row["column_default"] is not None,
            )
            for row in rows
        ]
        index_rows = await connection.fetch(
            "SELECT i.relname AS name, x.indisunique AS is_unique,"
            " array_agg(a.attname ORDER BY k.ordinality) AS columns"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ordinality)"
            " JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum"
            " WHERE x.indrelid = $1::regclass AND NOT x.indisprimary"
            " GROUP BY i.relname, x.indisunique",
            table,
        )
        indexes = {(r["name"], tuple(r["columns"]), r["is_unique"]) for r in index_rows}
        check_rows = await connection.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
            " WHERE conrelid = $1::regclass AND contype = 'c'",
            table,
        )
        enums = {
            allowed[1]: re.findall(r"'(\w+)'", allowed[2])
            for row in check_rows
            if (allowed := ALLOWED_VALUES.search(row["definition"]))
        }
        return Table(columns, {}, indexes, {r["conname"] for r in check_rows}, enums)
    finally:
        await connection.close()


def model_type(annotation: object) -> str:
    """`list[TripResult]` -> "TripResult[]"; the OpenAPI component names are the model names."""
    if typing.get_origin(annotation) is list:
        return model_type(typing.get_args(annotation)[0]) + "[]"
    assert isinstance(annotation, type) and issubclass(annotation, BaseModel), annotation
    return annotation.__name__


def test_schema_ts_has_every_table() -> None:
    assert set(drizzle_tables()) == set(TABLES)


@pytest.mark.parametrize("table", TABLES)
def test_drizzle_columns_match_the_migrated_table(api_database: str, table: str) -> None:
    drizzle, database = drizzle_tables()[table], asyncio.run(database_table(api_database, table))
    assert drizzle.columns, "no column parsed out of schema.ts"
    assert [c.name for c in drizzle.columns] == [c.name for c in database.columns]
    for ours, theirs in zip(drizzle.columns, database.columns, strict=True):
        assert ours == theirs, f"schema.ts {ours} but the database has {theirs}"


@pytest.mark.parametrize("table", TABLES)
def test_drizzle_indexes_and_constraints_match_the_migrated_table(
    api_database: str, table: str
) -> None:
    drizzle, database = drizzle_tables()[table], asyncio.run(database_table(api_database, table))
    assert drizzle.indexes == database.indexes
    assert drizzle.checks == database.checks
    assert drizzle.enums == database.enums


def test_jsonb_columns_are_typed_as_the_models_stored_in_them() -> None:
    expected = {
        name: model_type(field.annotation) for name, field in SimulationResult.model_fields.items()
    }
    expected |= {
        "error": JobError.__name__,
        "request": SimulationRequest.__name__,
        "headline_kpis": HeadlineKpis.__name__,
        "summary": ResultSummary.__name__,
    }
    tables = drizzle_tables()
    assert tables["simulations"].json_types == expected
    assert tables["studies"].json_types == {
        "request": StudyRequest.__name__,
        "result": StudyResult.__name__,
    }
