"""Reference data from the configuration catalogue, for clients building requests."""

from fastapi import APIRouter, Security

from fleetsim.api.deps import CatalogueDep, require_api_key
from fleetsim.api.schemas import responses
from fleetsim.models import ChargerSpec, RouteSpec, Scenario, SiteSpec, Tariff, VehicleSpec

router = APIRouter(
    prefix="/v1/config",
    tags=["reference data"],
    dependencies=[Security(require_api_key)],
    responses=responses(401),
)


@router.get("/routes")
async def routes(catalogue: CatalogueDep) -> list[RouteSpec]:
    return sorted(catalogue.route_specs.values(), key=lambda r: r.id)


@router.get("/vehicles")
async def vehicles(catalogue: CatalogueDep) -> list[VehicleSpec]:
    return sorted(catalogue.vehicles.values(), key=lambda v: v.id)


@router.get("/chargers")
async def chargers(catalogue: CatalogueDep) -> list[ChargerSpec]:
    return sorted(catalogue.chargers.values(), key=lambda c: c.id)


@router.get("/scenarios")
async def scenarios(catalogue: CatalogueDep) -> list[Scenario]:
    return sorted(catalogue.scenarios.values(), key=lambda s: s.id)


@router.get("/sites")
async def sites(catalogue: CatalogueDep) -> list[SiteSpec]:
    """Sites: location, grid connection, power limit (kW) and tariff."""
    return sorted(catalogue.sites.values(), key=lambda s: s.id)


@router.get("/tariffs")
async def tariffs(catalogue: CatalogueDep) -> list[Tariff]:
    """Tariffs: energy prices by time-of-use window, demand charge, currency."""
    return sorted(catalogue.tariffs.values(), key=lambda t: t.id)
