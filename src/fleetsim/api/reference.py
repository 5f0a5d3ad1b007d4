"""Reference data from the configuration catalogue, for clients building requests."""

from fastapi import APIRouter, Security

from fleetsim.api.deps import ServicesDep, require_api_key
from fleetsim.api.schemas import responses
from fleetsim.models import ChargerSpec, RouteSpec, Scenario, VehicleSpec

router = APIRouter(
    prefix="/v1/config",
    tags=["reference data"],
    dependencies=[Security(require_api_key)],
    responses=responses(401),
)


@router.get("/routes")
async def routes(services: ServicesDep) -> list[RouteSpec]:
    return sorted((await services.catalogue()).route_specs.values(), key=lambda r: r.id)


@router.get("/vehicles")
async def vehicles(services: ServicesDep) -> list[VehicleSpec]:
    return sorted((await services.catalogue()).vehicles.values(), key=lambda v: v.id)


@router.get("/chargers")
async def chargers(services: ServicesDep) -> list[ChargerSpec]:
    return sorted((await services.catalogue()).chargers.values(), key=lambda c: c.id)


@router.get("/scenarios")
async def scenarios(services: ServicesDep) -> list[Scenario]:
    return sorted((await services.catalogue()).scenarios.values(), key=lambda s: s.id)
