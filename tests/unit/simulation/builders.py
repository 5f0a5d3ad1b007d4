"""Builders for hand-made resolved requests: no config files, no I/O."""

from datetime import datetime, time, timedelta, timezone
from typing import Any

from fleetsim.models import (
    ChargerSpec,
    FleetVehicle,
    Horizon,
    PathProfile,
    ResolvedRequest,
    RouteProfile,
    Scenario,
    SiteSpec,
    Tariff,
    TariffWindow,
    Trip,
    VehicleSpec,
)
from fleetsim.models.scenario import ChargingSession

DEPOT = (11.50, 48.10)
START = datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=1)))  # a Monday


def vehicle(**changes: Any) -> VehicleSpec:
    """A van-like vehicle with lossless charging and no curve unless changed."""
    base: dict[str, Any] = dict(
        id="van",
        mass_kg=2500,
        drag_coefficient=0.35,
        frontal_area_m2=4.0,
        rolling_resistance=0.008,
        drivetrain_efficiency=0.9,
        battery_efficiency=1.0,
        max_motor_power_kw=150,
        max_regen_power_kw=80,
        battery_usable_kwh=100,
        soc_max=1.0,
        reserve_soc=0.1,
        max_ac_charge_kw=11,
        max_dc_charge_kw=50,
    )
    return VehicleSpec(**(base | changes))


def loop_route(
    route_id: str = "loop",
    length_m: float = 10_000,
    speed_mps: float = 13.9,
    at: tuple[float, float] = DEPOT,
) -> RouteProfile:
    """A flat out-and-back path that starts and ends at `at`."""
    return RouteProfile(
        id=route_id,
        start=at,
        end=at,
        length_km=length_m / 1000,
        path=PathProfile(distance_m=[0.0, length_m / 2, length_m], speed_mps=[speed_mps] * 2),
    )


def charger(charger_id: str = "dc", **changes: Any) -> ChargerSpec:
    base: dict[str, Any] = dict(
        id=charger_id,
        location=DEPOT,
        power_kw=50,
        current="DC",
        ports=1,
        site="depot",
        efficiency=1.0,
        price_per_kwh=0.3,
    )
    return ChargerSpec(**(base | changes))


def tou_tariff() -> Tariff:
    """Cheap 00:00-06:00, dear 16:00-21:00, otherwise mid."""
    return Tariff(
        id="tou",
        default_price_per_kwh=0.25,
        windows=[
            TariffWindow(start=time(0), end=time(6), price_per_kwh=0.10),
            TariffWindow(start=time(16), end=time(21), price_per_kwh=0.45),
        ],
    )


def scenario_site_tariff(tariffs: list[Tariff]) -> str | None:
    """The depot's own tariff: the first one with a demand charge, if any."""
    return next((t.id for t in tariffs if t.demand_charge_per_kw > 0), None)


def session(
    arrive_h: float,
    leave_h: float,
    vehicle_id: str | None = None,
    **changes: Any,
) -> ChargingSession:
    """A session at the depot `arrive_h` to `leave_h` hours after START, asking 50 kWh of a
    "van" unless changed."""
    base: dict[str, Any] = dict(
        vehicle_id=vehicle_id,
        vehicle_type="van",
        site="depot",
        arrival=START + timedelta(hours=arrive_h),
        departure=START + timedelta(hours=leave_h),
        energy_kwh=50.0,
    )
    return ChargingSession(**(base | changes))


def build(
    fleet: list[FleetVehicle],
    schedule: list[Trip] = (),  # type: ignore[assignment]
    vehicles: list[VehicleSpec] | None = None,
    chargers: list[ChargerSpec] | None = None,
    routes: list[RouteProfile] | None = None,
    site_limit_kw: float | None = None,
    tariffs: list[Tariff] = (),  # type: ignore[assignment]
    **scenario: Any,
) -> ResolvedRequest:
    """A resolved request around one depot site; hashes are fixed strings."""
    vehicles = vehicles or [vehicle()]
    chargers = chargers if chargers is not None else [charger()]
    routes = routes if routes is not None else [loop_route()]
    sc = Scenario(
        id="test",
        horizon=scenario.pop("horizon", Horizon(start=START, days=1)),
        fleet=fleet,
        schedule=list(schedule),
        **scenario,
    )
    site_tariff = scenario_site_tariff(tariffs)
    return ResolvedRequest(
        scenario=sc,
        vehicles={v.id: v for v in vehicles},
        chargers={c.id: c for c in chargers},
        sites={
            "depot": SiteSpec(
                id="depot", location=DEPOT, site_power_limit_kw=site_limit_kw, tariff=site_tariff
            )
        },
        tariffs={t.id: t for t in tariffs},
        routes={r.id: r for r in routes},
        request_hash="test-hash",
        input_digest="test-digest",
        lineage={},
    )
