"""The charts: SoC lines or a percentile band with reserves and stranded marks, and a row
for every charger with its ports."""

from matplotlib.collections import PathCollection
from report_runs import Run

from fleetsim.models import CanonicalResult
from fleetsim.plots import SOC_LINES_UP_TO, charger_chart, chart_pngs, soc_chart
from fleetsim.report.inputs import InputFigures, figures_of


def legend_of(fig: object) -> list[str]:
    [ax] = fig.axes  # type: ignore[attr-defined]
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_a_small_fleet_gets_a_line_and_a_colour_per_vehicle(smoke: Run) -> None:
    fig = soc_chart(smoke.result, figures_of(smoke.resolved))

    vehicles = [v.vehicle_id for v in smoke.result.metadata.vehicles]
    assert len(vehicles) <= SOC_LINES_UP_TO
    [ax] = fig.axes
    lines = [line for line in ax.get_lines() if line.get_label() in vehicles]
    assert [line.get_label() for line in lines] == vehicles
    assert len({line.get_color() for line in lines}) == len(vehicles)
    assert "reserve 15% (ebus_12m)" in legend_of(fig)


def test_a_big_fleet_gets_a_percentile_band_and_its_lowest_vehicle(smoke: Run) -> None:
    data = dict(smoke.result.data)
    meta = dict(data["metadata"])
    # The smoke day's three vehicles as 15: each series copied under five new ids.
    copies = [f"{v['vehicle_id']}_{n}" for v in meta["vehicles"] for n in range(5)]
    meta["vehicles"] = [
        {**v, "vehicle_id": f"{v['vehicle_id']}_{n}"} for v in meta["vehicles"] for n in range(5)
    ]
    data["metadata"] = meta
    data["time_series_data"] = [
        {**p, "vehicle_id": f"{p['vehicle_id']}_{n}"}
        for p in smoke.result.data["time_series_data"]
        for n in range(5)
    ]
    assert len(copies) > SOC_LINES_UP_TO

    legend = legend_of(soc_chart(CanonicalResult.of_data(data), figures_of(smoke.resolved)))

    assert legend[:3] == ["min-max", "p10-p90", "median"]
    assert legend[3].startswith("lowest: ")
    assert not set(copies) & set(legend)


def test_stranded_moments_are_marked_once_per_stranding(stranding: Run) -> None:
    fig = soc_chart(stranding.result, figures_of(stranding.resolved))

    [ax] = fig.axes
    [marks] = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(marks.get_offsets()) == stranding.result.metadata.kpis.stranded_trips
    assert "stranded (2 vehicles)" in legend_of(fig)


def test_every_charger_has_a_row_with_its_ports(smoke: Run) -> None:
    fig = charger_chart(smoke.result, figures_of(smoke.resolved))

    [ax] = fig.axes
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert len(labels) == len(smoke.resolved.chargers)
    for charger_id, charger in smoke.resolved.chargers.items():
        [label] = [text for text in labels if text.startswith(f"{charger_id}\n")]
        assert f"{charger.ports} port" in label


def test_unknown_ports_say_so(smoke: Run) -> None:
    fig = charger_chart(smoke.result, InputFigures())

    [ax] = fig.axes
    assert all("ports unknown" in tick.get_text() for tick in ax.get_yticklabels())


def test_charts_are_pngs_and_the_same_for_the_same_result(smoke: Run) -> None:
    figures = figures_of(smoke.resolved)

    first = chart_pngs(smoke.result, figures)

    assert set(first) == {"soc.png", "site_load.png", "charger_occupancy.png"}
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in first.values())
    assert chart_pngs(smoke.result, figures) == first
