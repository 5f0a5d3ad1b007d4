"""The shareable report: one self-contained HTML page of a result (headline KPIs, charts,
stranded trips, sites, chargers, warnings, lineage) that opens with no network.

Charts are PNGs inlined as data: URIs, the CSS is inline, there is no script, and a
Content-Security-Policy forbids fetching anything. Every text that comes from a request or
the configuration (ids, names, warnings) goes through `html.escape`.
"""

import base64
from collections.abc import Iterable, Sequence
from html import escape
from uuid import UUID

from fleetsim.models import CanonicalResult, Metadata
from fleetsim.models.summary import StrandedTrip
from fleetsim.plots import chart_pngs
from fleetsim.report.facts import (
    MISSED_SESSIONS_LEGEND,
    ChargerUse,
    charger_use,
    stranded_vehicles,
)
from fleetsim.report.inputs import InputFigures
from fleetsim.simulation.summary import stranded_trips

STRANDED_ROWS_MAX = 200
"""The stranded-trip table lists this many (the first by departure) and counts the rest:
only these are parsed, however many a year strands."""

CHART_CAPTIONS = {
    "soc.png": "State of charge over the horizon, with each vehicle type's reserve",
    "site_load.png": "Grid power per site against its limit",
    "charger_occupancy.png": "Every charger: ports in use, and queueing",
}

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1b1f24; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
.sub { color: #57606a; margin-top: 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
        gap: 0.6rem; }
.kpi { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6rem 0.8rem; }
.kpi .label { color: #57606a; font-size: 0.85rem; }
.kpi .value { font-size: 1.35rem; font-weight: 600; }
.kpi.bad .value { color: #b42318; } .kpi.good .value { color: #1a7f37; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f6f8fa; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #57606a; font-size: 0.9rem; }
code { font-size: 0.85rem; }
"""


def render_report(result: CanonicalResult, figures: InputFigures, *, job_id: UUID | str) -> str:
    """The report page of `result` (job `job_id`) as HTML text; the same result and
    figures give the same text."""
    meta = result.metadata
    charts = chart_pngs(result, figures)
    body = [
        _heading(meta, job_id),
        _kpis(meta),
        _section("Charts", [_chart(name, png) for name, png in charts.items()]),
        _stranded(meta, stranded_trips(result, STRANDED_ROWS_MAX)),
        _sites(meta),
        _chargers(charger_use(result, figures)),
        _warnings(meta.warnings),
        _lineage(meta),
    ]
    title = f"fleetsim report: {meta.scenario}"
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _heading(meta: Metadata, job_id: UUID | str) -> str:
    h = meta.horizon
    c = meta.counts
    return (
        f"<h1>{escape(meta.scenario)}</h1>\n<p class='sub'>"
        f"{c.vehicles} vehicles, {c.trips} trips, {c.chargers} chargers; strategy "
        f"{escape(meta.strategy)}; {h.days} days from {escape(h.start.isoformat())} to "
        f"{escape(h.end.isoformat())}<br>job <code>{escape(str(job_id))}</code>, model "
        f"{escape(meta.model_version)}</p>"
    )


def _kpis(meta: Metadata) -> str:
    k = meta.kpis
    cards = [
        (
            "feasible",
            "feasible",
            "yes" if k.feasible else f"no: {k.stranded_trips} stranded trips",
            "good" if k.feasible else "bad",
        ),
        ("distance", "distance", f"{k.distance_km:,.0f} km", ""),
        ("energy_from_grid", "energy from grid", f"{k.energy_from_grid_kwh:,.0f} kWh", ""),
        ("consumption", "consumption", f"{k.kwh_per_km:.3f} kWh/km", ""),
        ("charging_cost", "charging cost", f"{k.charging_cost:,.2f} {k.currency}", ""),
        ("min_soc", "lowest SoC", f"{k.min_soc:.1%}", ""),
        ("wait", "port wait mean / max", _wait(k.mean_wait_s, k.max_wait_s), ""),
        (
            "missed_sessions",
            "missed charging sessions",
            str(k.missed_charging_sessions),
            "bad" if k.missed_charging_sessions else "",
        ),
    ]
    for site, site_kpis in k.sites.items():
        cards.append(
            (
                f"peak_{site}",
                f"peak {site}",
                _peak(site_kpis.peak_kw, site_kpis.site_power_limit_kw),
                "",
            )
        )
    items = "\n".join(
        f"<div class='kpi {tone}' data-kpi='{escape(key)}'><div class='label'>"
        f"{escape(label)}</div><div class='value'>{escape(value)}</div></div>"
        for key, label, value, tone in cards
    )
    return (
        f"<h2>Headline</h2>\n<div class='kpis'>\n{items}\n</div>\n"
        f"<p class='sub'>{escape(MISSED_SESSIONS_LEGEND)}</p>"
    )


def _peak(peak_kw: float, limit: float | None) -> str:
    return f"{peak_kw:,.0f} kW" + (
        f" of {limit:,.0f} kW limit" if limit is not None else ", no limit"
    )


def _wait(mean_s: float, max_s: float) -> str:
    return f"{mean_s / 60:.1f} / {max_s / 60:.0f} min"


def _chart(name: str, png: bytes) -> str:
    caption = CHART_CAPTIONS.get(name, name)
    data = base64.b64encode(png).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{escape(caption)}'>"
        f"<figcaption>{escape(caption)} ({escape(name)})</figcaption></figure>"
    )


def _stranded(meta: Metadata, trips: list[StrandedTrip]) -> str:
    """The first stranded trips by departure, and how many there are in all."""
    total = meta.kpis.stranded_trips
    if not trips:
        return _section("Stranded trips", ["<p>No trip was stranded.</p>"])
    vehicles = stranded_vehicles(meta)
    by_vehicle = ", ".join(f"{v.vehicle_id} ({v.stranded_trips})" for v in vehicles)
    rows = [
        [
            t.vehicle_id,
            t.route_id,
            t.departure.strftime("%a %Y-%m-%d %H:%M"),
            f"{t.soc_start:.1%}",
            _number(t.stranded_at_km, "{:,.1f}"),
            _number(t.shortfall_kwh, "{:,.1f}"),
        ]
        for t in trips
    ]
    more = total - len(trips)
    parts = [
        f"<p>{total} trips of {len(vehicles)} vehicles: {escape(by_vehicle)}</p>",
        _table(
            [
                "vehicle",
                "route",
                "departure (local)",
                "SoC at start",
                "stranded at, km",
                "short, kWh",
            ],
            rows,
            numeric=frozenset({3, 4, 5}),
        ),
    ]
    if more > 0:
        parts.append(f"<p>… and {more} more (the result's <code>trips</code> has all)</p>")
    return _section("Stranded trips", parts)


def _sites(meta: Metadata) -> str:
    currency = meta.kpis.currency
    rows = [
        [
            site,
            _number(s.site_power_limit_kw, "{:,.0f}"),
            f"{s.peak_kw:,.1f}",
            f"{s.peak_15min_kw:,.1f}",
            f"{s.energy_from_grid_kwh:,.0f}",
            f"{s.energy_cost:,.2f}",
            f"{s.demand_charge:,.2f}",
            str(s.steps_above_limit),
        ]
        for site, s in meta.kpis.sites.items()
    ]
    headers = [
        "site",
        "limit, kW",
        "peak, kW",
        "peak 15 min, kW",
        "energy from grid, kWh",
        f"energy cost, {currency}",
        f"demand charge, {currency}",
        "steps above limit",
    ]
    return _section("Sites", [_table(headers, rows, numeric=frozenset(range(1, 8)))])


def _chargers(chargers: list[ChargerUse]) -> str:
    rows = [
        [
            c.charger_id,
            "?" if c.ports is None else str(c.ports),
            f"{c.utilisation:.1%}",
            str(c.stays),
            f"{c.energy_from_grid_kwh:,.0f}",
            _wait(c.mean_wait_s, c.max_wait_s),
        ]
        for c in chargers
    ]
    headers = ["charger", "ports", "port-time in use", "stays", "energy, kWh", "wait mean / max"]
    note = (
        "<p class='sub'>Port-time in use is the share of the ports' hours a vehicle held a"
        " port; ports marked ? belong to a charger whose input changed since the run.</p>"
    )
    return _section("Chargers", [_table(headers, rows, numeric=frozenset({1, 2, 3, 4, 5})), note])


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return _section("Warnings", ["<p>None.</p>"])
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return _section("Warnings", [f"<ul>{items}</ul>"])


def _lineage(meta: Metadata) -> str:
    inputs = meta.lineage.get("inputs", {})
    rows = [[name, digest[:16]] for name, digest in inputs.items()]
    intro = (
        f"<p>Input digest <code>{escape(meta.input_digest)}</code> (schema "
        f"{meta.schema_version}, model {escape(meta.model_version)}): the same digest always "
        "gives the same result. Each input's sha256 (first 16 hex digits):</p>"
    )
    return _section("Lineage", [intro, _table(["input", "sha256"], rows)])


def _section(title: str, parts: Iterable[str]) -> str:
    return f"<h2>{escape(title)}</h2>\n" + "\n".join(parts)


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: frozenset[int] = frozenset()
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join(
        "<tr>"
        + "".join(
            f"<td class='n'>{escape(cell)}</td>" if i in numeric else f"<td>{escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _number(value: float | None, form: str) -> str:
    return "-" if value is None else form.format(value)
