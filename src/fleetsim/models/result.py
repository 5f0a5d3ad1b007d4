"""The result envelope (DESIGN §5) and its canonical, byte-stable JSON form."""

import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, BinaryIO, Literal

import numpy as np
import orjson
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

FLOAT_DECIMALS = 4
"""Every float in a serialised result is rounded to this many decimal places."""

VehicleState = Literal["parked", "driving", "charging", "plugged", "waiting", "stranded", "away"]
"""`plugged`: holds a port without drawing power; `waiting`: queued for a port; `away`: a
session vehicle outside its sessions."""


class Result(BaseModel):
    """Base for output models: unknown fields are errors so the envelope shape stays fixed."""

    model_config = ConfigDict(extra="forbid")


class HorizonSummary(Result):
    start: datetime = Field(description="first simulated instant, the scenario's UTC offset")
    end: datetime = Field(description="start + days")
    days: int = Field(description="whole days simulated")


class Counts(Result):
    routes: int = Field(description="routes the schedule drives")
    vehicles: int = Field(description="fleet and session vehicles")
    chargers: int = Field(description="chargers of the resolved input")
    trips: int = Field(description="trips in the horizon")


class SiteKpis(Result):
    """One site's bill and grid load; energy kWh, power kW, cost in the tariff currency."""

    energy_from_grid_kwh: float = Field(description="drawn by the site's chargers, kWh")
    energy_cost: float = Field(description="energy at each step's price, kpis.currency")
    demand_charge: float = Field(
        description="the site tariff's demand_charge_per_kw x each billing month's peak "
        "15-minute average, prorated by the share of the month the horizon covers"
    )
    peak_kw: float = Field(description="highest step load, kW")
    peak_15min_kw: float = Field(description="highest 15-minute average load (local quarters), kW")
    site_power_limit_kw: float | None = Field(
        description="the site's grid connection limit, kW; null: none"
    )
    steps_above_limit: int = Field(description="steps whose load exceeds the limit")
    max_overshoot_kw: float = Field(description="largest load above the limit, kW")
    energy_above_limit_kwh: float = Field(description="energy drawn above the limit, kWh")


class SavingsVsGreedy(Result):
    """What a planned strategy (`optimal`) saved against `greedy` on the same input: greedy's
    bill and peaks beside the differences (greedy less this run; negative: this run is
    higher)."""

    greedy_charging_cost: float = Field(description="greedy's whole bill, kpis.currency")
    charging_cost_saved: float = Field(description="greedy's charging_cost less this run's")
    greedy_peak_site_kw: dict[str, float] = Field(description="greedy's highest step load")
    peak_site_kw_saved: dict[str, float] = Field(description="greedy's peak less this run's")
    greedy_energy_unmet_kwh: float = Field(description="what greedy left short of the targets")
    greedy_stranded_trips: int


class Kpis(Result):
    """Fleet-level answers; energy is kWh, cost in the tariff currency, power kW."""

    feasible: bool = Field(description="every trip was driven without going below reserve")
    stranded_trips: int = Field(description="trips that would have gone below reserve SoC")
    min_soc: float = Field(description="lowest state of charge of any vehicle, 0-1")
    energy_from_grid_kwh: float = Field(description="drawn from the grid by all chargers, kWh")
    energy_to_battery_kwh: float = Field(
        description="stored into batteries: grid energy less charger and battery losses"
    )
    energy_driven_kwh: float = Field(
        description="net battery energy used driving: the sum of the trips' energy_used_kwh"
    )
    energy_at_wheels_kwh: float = Field(
        description="positive tractive energy delivered at the wheels (braking not netted)"
    )
    distance_km: float = Field(description="driven by all vehicles, km")
    kwh_per_km: float = Field(description="net battery energy per km driven")
    charging_cost: float = Field(description="energy_cost + demand_charge: the whole bill")
    energy_cost: float = Field(description="grid energy at each step's price, currency")
    demand_charge: float = Field(description="the sites' demand charges, currency")
    charging_cost_by_tariff: dict[str, float] = Field(description="energy cost per tariff")
    currency: str = Field(description="ISO 4217 code of every cost")
    peak_site_kw: dict[str, float] = Field(description="site id -> highest step load, kW")
    sites: dict[str, SiteKpis] = Field(description="site id -> its bill and load")
    site_limit_respected: bool = Field(
        description="no site drew above its limit (only `uncontrolled` ignores limits)"
    )
    charger_utilisation: dict[str, float] = Field(description="port-time in use, 0-1")
    mean_wait_s: float = Field(
        description="seconds queued for a port, over charging events and missed sessions"
    )
    max_wait_s: float = Field(description="longest wait for a port, seconds")
    missed_charging_sessions: int = Field(description="left a charger queue without a port")
    charging_sessions: int = Field(
        description="stays at a charger with energy to take: charging events, missed sessions"
    )
    charging_sessions_fully_served: int = Field(description="stays that reached their target")
    energy_requested_kwh: float = Field(
        description="per stay, its charge target less the battery's energy on arrival"
    )
    energy_unmet_kwh: float = Field(description="requested but not stored by departure")
    savings_vs_greedy: SavingsVsGreedy | None = Field(
        None, description="`optimal` only: its bill and peaks against greedy's on the same input"
    )


class VehicleSummary(Result):
    """Per-vehicle totals: SoC at start, end and lowest, energy in and out, distance."""

    vehicle_id: str = Field(description="the fleet (or session) vehicle's id")
    type: str = Field(description="its vehicle type")
    depot: str = Field(description="its home site")
    soc_start: float = Field(description="state of charge at the start, 0-1")
    soc_end: float = Field(description="state of charge at the end, 0-1")
    min_soc: float = Field(description="lowest state of charge, 0-1")
    energy_to_battery_kwh: float = Field(description="stored into the battery by charging, kWh")
    energy_driven_kwh: float = Field(
        description="net battery energy used driving: the sum of its trips' energy_used_kwh"
    )
    distance_km: float = Field(description="driven, km")
    trips: int = Field(description="trips scheduled in the horizon")
    stranded_trips: int = Field(description="its trips that would have gone below reserve")


class SessionResult(Result):
    """One requested charging session and what it got."""

    session_index: int = Field(description="its place in the request's sessions, from 0")
    vehicle_id: str = Field(description="its vehicle_id, else session_<n>")
    vehicle_type: str = Field(description="the session's vehicle type")
    site: str = Field(description="the site it charged at")
    charger_id: str | None = Field(description="the charger it plugged into; None: no port")
    arrival: datetime = Field(description="as requested")
    departure: datetime = Field(description="as requested")
    plugged_in: datetime | None = Field(description="when it got a port; null: never")
    energy_requested_kwh: float = Field(description="to store in the battery, kWh")
    energy_delivered_kwh: float = Field(description="stored in the battery, kWh")
    energy_unmet_kwh: float = Field(description="requested but not stored by departure, kWh")
    soc_arrival: float = Field(description="state of charge on arrival, 0-1")
    soc_departure: float = Field(description="state of charge at departure, 0-1")


class RunIdentity(Result):
    """Which run a result is: its identity, scenario, horizon and size (the metadata's head,
    and all of it a summary repeats)."""

    schema_version: int = Field(description="the envelope's shape; see fleetsim.models.versions")
    model_version: str = Field(description="the simulation code's results version")
    input_digest: str = Field(
        description="sha256 identifying the resolved input, model and schema version: the same "
        "digest always gives the same result bytes"
    )
    scenario: str = Field(description="the scenario the request named")
    strategy: str = Field(description="the charging strategy that ran")
    horizon: HorizonSummary = Field(description="the simulated period")
    counts: Counts = Field(description="routes, vehicles, chargers and trips simulated")
    time_series_resolution_s: int = Field(description="seconds between time-series samples")


class Metadata(RunIdentity):
    kpis: Kpis = Field(description="fleet-level answers")
    vehicles: list[VehicleSummary] = Field(description="per vehicle totals")
    sessions: list[SessionResult] = Field(description="the request's charging sessions")
    warnings: list[str] = Field(description="what a planner should know about the run")
    lineage: dict[str, dict[str, str]] = Field(
        description="`inputs`: one sha256 per resolved input (`vehicle:<id>`, `route:<id>`, ...)"
    )
    float_decimals: int = Field(FLOAT_DECIMALS, description="decimal places of every float")


class TripResult(Result):
    """One driven (or attempted) trip; a stranded trip says where and by how much."""

    vehicle_id: str = Field(description="the vehicle that drove it")
    route_id: str = Field(description="the route driven")
    departure: datetime = Field(description="scheduled departure")
    arrival: datetime = Field(description="departure + the trace's duration")
    distance_km: float = Field(description="the route's length, km")
    energy_used_kwh: float = Field(description="net battery energy the trip used, regen netted")
    kwh_per_km: float = Field(description="energy_used_kwh per km")
    soc_start: float = Field(description="state of charge at departure, 0-1")
    soc_end: float = Field(description="state of charge at arrival (or where stranded), 0-1")
    missed_s: float = Field(description="seconds the speed trace could not be followed")
    stranded: bool = Field(description="it would have gone below the type's reserve_soc")
    stranded_at_km: float | None = Field(
        None, description="distance along the route where it stopped, km; null unless stranded"
    )
    shortfall_kwh: float | None = Field(
        None, description="energy it lacked to finish, kWh; null unless stranded"
    )


class TimeSeriesPoint(Result):
    t: datetime = Field(description="sample time")
    vehicle_id: str = Field(description="the vehicle sampled")
    soc: float = Field(description="state of charge, 0-1")
    odometer_km: float = Field(description="distance driven since the start, km")
    state: VehicleState = Field(
        description="parked, driving, charging, plugged (holds a port, no power), waiting "
        "(queued for a port), stranded or away (a session vehicle between sessions)"
    )
    power_kw: float = Field(
        description="battery power, positive when charging: the mean over the sample's "
        "interval (its step at step resolution), so the series keeps the energy"
    )


class SiteLoadPoint(Result):
    t: datetime = Field(description="step start")
    site: str = Field(description="the site")
    kw: float = Field(description="grid power all its chargers draw over the step, kW")


class ChargingEvent(Result):
    """One stay at a charger: queued from `arrived`, on a port from `plugged_in` to `end`."""

    vehicle_id: str = Field(description="the vehicle that charged")
    charger_id: str = Field(description="the charger whose port it used")
    arrived: datetime = Field(description="joined the charger queue")
    plugged_in: datetime = Field(description="got a port; plugged_in - arrived is the wait")
    end: datetime = Field(description="left the port: full, departing or end of the run")
    energy_requested_kwh: float = Field(
        description="its charge target less the battery's energy when plugged in"
    )
    energy_from_grid_kwh: float = Field(description="drawn from the grid, kWh")
    energy_to_battery_kwh: float = Field(description="stored into the battery, kWh")
    soc_start: float = Field(description="state of charge when plugged in, 0-1")
    soc_end: float = Field(description="state of charge when the port was left, 0-1")
    cost: float = Field(description="energy_from_grid_kwh at each step's price, kpis.currency")
    wait_s: float = Field(description="seconds from arrived to plugged_in")


class SimulationResult(Result):
    """The envelope every door returns and every sink stores."""

    metadata: Metadata = Field(description="identity, lineage, KPIs, per-vehicle summaries")
    trips: list[TripResult] = Field(description="every trip, by departure then vehicle")
    time_series_data: list[TimeSeriesPoint] = Field(
        description="per vehicle every time_series_resolution_s"
    )
    site_load: list[SiteLoadPoint] = Field(description="per site every step")
    charging_events: list[ChargingEvent] = Field(
        description="every stay on a charger port, by vehicle then plug-in time"
    )


def rounded_floats(values: Iterable[float]) -> list[float]:
    """Each value rounded to FLOAT_DECIMALS places, never -0.0 (adding 0.0 makes it 0.0)."""
    return [round(value, FLOAT_DECIMALS) + 0.0 for value in values]


_SCALE = 10.0**FLOAT_DECIMALS
_NEAR_HALF = 1e-12
"""A scaled value this close (relative) to an integer-and-a-half may round either way in
binary, so it is rounded as `round` does it, from its exact decimal value (the product's
own rounding error is at most 1.1e-16 of it: this leaves a margin of 10,000)."""


def rounded_array(values: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    """`rounded_floats` for an array, vectorised and equal to it bit for bit.

    `x * 10**4` is off from the exact product by at most half a unit in its last place, so
    rounding it to an integer agrees with Python's correctly rounded `round(x, 4)` unless it
    lies that close to a half; those few values (and any too large to scale exactly, or not
    finite) go through `round` itself. Dividing the integer by 10**4 is then the nearest
    double to the decimal, as `round` returns.
    """
    x = np.asarray(values, dtype=np.float64)
    scaled = x * _SCALE
    with np.errstate(invalid="ignore"):
        distance = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5)
        exact = (distance > _NEAR_HALF * np.maximum(1.0, np.abs(scaled))) & (
            np.abs(scaled) < 2.0**52
        )
    result: NDArray[np.float64] = np.rint(scaled) / _SCALE + 0.0
    for i in np.flatnonzero(~exact).tolist():
        result[i] = round(float(x[i]), FLOAT_DECIMALS) + 0.0
    return result


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, FLOAT_DECIMALS) + 0.0
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def canonical_data(model: BaseModel, include: set[str] | None = None) -> Any:
    """The model (or its `include`d fields) as JSON data, floats rounded to FLOAT_DECIMALS."""
    return _rounded(model.model_dump(mode="json", include=include))


def canonical_json_text(data: Any) -> str:
    """`canonical_data` as byte-stable JSON text: sorted keys, compact separators, UTF-8."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def canonical_json_bytes(model: BaseModel) -> bytes:
    """Byte-stable JSON: sorted keys, compact separators, floats rounded to FLOAT_DECIMALS."""
    return canonical_json_text(canonical_data(model)).encode("utf-8")


ENVELOPE_PARTS = ("charging_events", "metadata", "site_load", "time_series_data", "trips")
"""The envelope's top-level fields, in the (sorted) order its canonical JSON writes them."""


class CanonicalResult:
    """A result envelope as canonical JSON: what doors return and sinks store. The whole
    text is one byte string, each top-level field a span of it, so writing or storing the
    result never joins a second copy (a year of 1,000 vehicles is 690 MB of text). The
    simulation writes the row parts straight from its arrays; the data and the model are
    made from the bytes only when asked for."""

    def __init__(self, parts: Mapping[str, bytes], row_counts: Mapping[str, int]) -> None:
        """`parts`: each field of ENVELOPE_PARTS as `canonical_json_text` writes it, joined
        here into the envelope; `row_counts`: the rows of each list part."""
        writer = EnvelopeWriter()
        for part in ENVELOPE_PARTS:
            writer.start(part).write(parts[part])
        self.envelope, self.spans = writer.finished()
        self.row_counts = dict(row_counts)

    @classmethod
    def of_envelope(
        cls, envelope: bytes, spans: Mapping[str, tuple[int, int]], row_counts: Mapping[str, int]
    ) -> "CanonicalResult":
        """The envelope's bytes as `EnvelopeWriter` wrote them, with its parts' spans: kept
        as they are, no copy."""
        result = cls.__new__(cls)
        result.envelope, result.spans, result.row_counts = envelope, dict(spans), dict(row_counts)
        return result

    @classmethod
    def of_data(cls, data: Mapping[str, Any]) -> "CanonicalResult":
        """Canonical JSON data (every `SimulationResult` field, as `canonical_data` gives it)."""
        return cls(
            {part: canonical_json_text(data[part]).encode("utf-8") for part in ENVELOPE_PARTS},
            {part: len(rows) for part, rows in data.items() if isinstance(rows, list)},
        )

    @classmethod
    def of(cls, result: SimulationResult) -> "CanonicalResult":
        """The canonical data of a model (built or read elsewhere), the slow generic way."""
        return cls.of_data(canonical_data(result))

    @classmethod
    def from_json(cls, canonical: bytes) -> "CanonicalResult":
        """Bytes that `json_bytes` wrote (a file, an object, a stored row), kept as they are:
        their parts' spans are found and their rows counted without parsing the rows (see
        `envelope_spans`). Raises NotAnEnvelopeError for bytes that are not such an envelope."""
        spans = envelope_spans(canonical)
        row_counts = {
            part: _row_count(canonical, *spans[part])
            for part in ENVELOPE_PARTS
            if part != "metadata"
        }
        return cls.of_envelope(canonical, spans, row_counts)

    def part_view(self, part: str) -> memoryview:
        """One top-level field's canonical JSON bytes, a view into the envelope (no copy)."""
        start, stop = self.spans[part]
        return memoryview(self.envelope)[start:stop]

    def part_size(self, part: str) -> int:
        """Bytes of one top-level field's canonical JSON."""
        start, stop = self.spans[part]
        return stop - start

    @cached_property
    def data(self) -> Mapping[str, Any]:
        """Every part as canonical JSON data, parsed once when first asked for (charts and
        the report read rows; writers, the summary and the row routes use the bytes)."""
        return {part: orjson.loads(self.part_view(part)) for part in ENVELOPE_PARTS}

    @cached_property
    def metadata(self) -> Metadata:
        """The metadata part as its model (as rounded as the bytes)."""
        return Metadata.model_validate_json(bytes(self.part_view("metadata")))

    def json_bytes(self) -> bytes:
        """The envelope's byte-stable JSON (`canonical_json_bytes` of its model), held, not
        joined: no copy."""
        return self.envelope

    def part_json(self, part: str) -> str:
        """One top-level field's canonical JSON text."""
        return str(self.part_view(part), "utf-8")

    def model(self) -> SimulationResult:
        """The validated model, for code that wants the rows as objects (plots, tests)."""
        return SimulationResult.model_validate_json(self.json_bytes())


class EnvelopeWriter:
    """Writes an envelope's canonical JSON in one growing buffer, its top-level fields in
    ENVELOPE_PARTS order, each part's text written in pieces: the finished bytes are that
    buffer itself (`BytesIO.getvalue` hands it over without a copy when nothing else holds
    a view of it), so the text is held once however it was written."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._buffer.write(b"{")
        self._spans: dict[str, tuple[int, int]] = {}
        self._open: str | None = None
        self._open_at = 0

    def start(self, part: str) -> BinaryIO:
        """Begin the next part (they come in ENVELOPE_PARTS order); write its text to the
        returned stream."""
        expected = ENVELOPE_PARTS[len(self._spans) + (self._open is not None)]
        if part != expected:
            raise ValueError(f"envelope part {part!r} written out of order: {expected!r} is next")
        self._close_part()
        buffer = self._buffer
        buffer.write(b'%s"%s":' % (b"," if self._spans else b"", part.encode()))
        self._open, self._open_at = part, buffer.tell()
        return buffer

    def finished(self) -> tuple[bytes, dict[str, tuple[int, int]]]:
        """The envelope's bytes and each part's (start, stop) offsets in them."""
        self._close_part()
        if len(self._spans) != len(ENVELOPE_PARTS):
            raise ValueError(f"envelope parts missing: {set(ENVELOPE_PARTS) - set(self._spans)}")
        self._buffer.write(b"}")
        envelope = self._buffer.getvalue()
        self._buffer = io.BytesIO()  # drops the writer's hold on the buffer
        return envelope, self._spans

    def _close_part(self) -> None:
        if self._open is not None:
            self._spans[self._open] = (self._open_at, self._buffer.tell())
            self._open = None


class NotAnEnvelopeError(ValueError):
    """Bytes read as a result envelope are not its canonical JSON: what was expected, where."""

    def __init__(self, expected: str, offset: int) -> None:
        self.expected, self.offset = expected, offset
        super().__init__(f"not a canonical result envelope: expected {expected} at byte {offset}")


ROW_PARTS_AFTER_METADATA = ENVELOPE_PARTS[2:]
"""`site_load`, `time_series_data`, `trips`: the row parts the envelope ends with."""


def envelope_spans(canonical: bytes) -> dict[str, tuple[int, int]]:
    """Each part's (start, stop) in an envelope's canonical JSON, found by its delimiters.

    A row part is a list of flat objects whose strings hold no bracket (ids, times, labels),
    so `charging_events` ends at the first `]` and each later row part starts at the last `[`
    before its end: nothing but the small metadata is parsed (to check it is an object).
    Raises NotAnEnvelopeError for other top-level keys or order, or truncated bytes.
    """
    head = b'{"charging_events":['
    if not canonical.startswith(head):
        raise NotAnEnvelopeError(repr(head.decode()), 0)
    spans = {"charging_events": (len(head) - 1, canonical.find(b"]", len(head)) + 1)}
    stop = spans["charging_events"][1]
    if stop == 0 or not canonical.startswith(b',"metadata":{', stop):
        raise NotAnEnvelopeError("',\"metadata\":{' after the charging events", max(stop, 0))
    metadata_start = stop + len(b',"metadata":')
    if not canonical.endswith(b"]}"):
        raise NotAnEnvelopeError("the trips list and '}' at the end", len(canonical))
    stop = len(canonical) - 1
    for part in reversed(ROW_PARTS_AFTER_METADATA):
        key = b',"%s":' % part.encode()
        start = canonical.rfind(b"[", metadata_start, stop)
        if (
            start < 0
            or canonical[start - len(key) : start] != key
            or canonical[stop - 1 : stop] != b"]"
        ):
            raise NotAnEnvelopeError(f"{key.decode()!r} and the {part} list", max(start, 0))
        spans[part] = (start, stop)
        stop = start - len(key)
    spans["metadata"] = (metadata_start, stop)
    try:
        metadata = orjson.loads(canonical[metadata_start:stop])
    except orjson.JSONDecodeError as exc:
        raise NotAnEnvelopeError(f"the metadata object ({exc})", metadata_start) from exc
    if not isinstance(metadata, dict):
        raise NotAnEnvelopeError("the metadata object", metadata_start)
    return {part: spans[part] for part in ENVELOPE_PARTS}


def _row_count(canonical: bytes, start: int, stop: int) -> int:
    """Rows of the row part at canonical[start:stop], counted by their separators (`},{`
    separates two rows and is nowhere else in a row part)."""
    return 0 if stop - start <= 2 else canonical.count(b"},{", start, stop) + 1
