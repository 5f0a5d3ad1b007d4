"""Pydantic models, defined once and imported by every layer and door."""

from fleetsim.models.charger import ChargerSpec, SiteSpec, Tariff, TariffWindow
from fleetsim.models.job import Job, JobError, JobStatus, Problem
from fleetsim.models.message import (
    JOB_MODES,
    DirectRequest,
    InvalidMessageError,
    JobMessage,
    JobMode,
    parse_message,
)
from fleetsim.models.request import EntryPatch, SimulationRequest
from fleetsim.models.resolved import ResolvedRequest
from fleetsim.models.result import (
    CanonicalResult,
    ChargingEvent,
    Kpis,
    Metadata,
    SimulationResult,
    SiteLoadPoint,
    TimeSeriesPoint,
    TripResult,
    VehicleSummary,
    canonical_json_bytes,
)
from fleetsim.models.route import CycleProfile, PathProfile, RouteProfile, RouteSpec, StopSpec
from fleetsim.models.scenario import FleetVehicle, Horizon, Scenario, Trip, Weather
from fleetsim.models.summary import HeadlineKpis, ResultSummary
from fleetsim.models.vehicle import HvacSpec, VehicleSpec

__all__ = [
    "JOB_MODES",
    "CanonicalResult",
    "ChargerSpec",
    "ChargingEvent",
    "CycleProfile",
    "DirectRequest",
    "EntryPatch",
    "FleetVehicle",
    "HeadlineKpis",
    "Horizon",
    "HvacSpec",
    "InvalidMessageError",
    "Job",
    "JobError",
    "JobMessage",
    "JobMode",
    "JobStatus",
    "Kpis",
    "Metadata",
    "PathProfile",
    "Problem",
    "ResolvedRequest",
    "ResultSummary",
    "RouteProfile",
    "RouteSpec",
    "Scenario",
    "SimulationRequest",
    "SimulationResult",
    "SiteLoadPoint",
    "SiteSpec",
    "StopSpec",
    "Tariff",
    "TariffWindow",
    "TimeSeriesPoint",
    "Trip",
    "TripResult",
    "VehicleSpec",
    "VehicleSummary",
    "Weather",
    "canonical_json_bytes",
    "parse_message",
]
