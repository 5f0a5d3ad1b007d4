"""Chargers, the sites that share a grid connection, and time-of-use tariffs."""

from datetime import time
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from fleetsim.models.base import Strict

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALL_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekdays_from_text(text: str) -> list[Weekday]:
    """`"all"`, `"mon|tue"` (any case, blanks ignored) as weekdays in week order; an empty
    text means every day. Raises ValueError naming the first unknown day."""
    named = {d.strip().lower() for d in text.split("|") if d.strip()}
    unknown = sorted(named - {"all"} - set(ALL_WEEKDAYS))
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r}; use {'|'.join(ALL_WEEKDAYS)} or all")
    if not named or "all" in named:
        return list(ALL_WEEKDAYS)
    return [d for d in ALL_WEEKDAYS if d in named]


def _weekdays_input(value: Any) -> Any:
    return weekdays_from_text(value) if isinstance(value, str) else value


Weekdays = Annotated[
    list[Weekday],
    BeforeValidator(_weekdays_input, json_schema_input_type=list[Weekday] | str),
    Field(min_length=1, description='a list, or text like "mon|tue" or "all" as in the CSV'),
]


class TariffWindow(Strict):
    """A price that applies from `start` (inclusive) to `end` (exclusive), local time."""

    start: time = Field(description="local time the price starts (inclusive)")
    end: time = Field(description="00:00 means midnight at the end of the day")
    price_per_kwh: float = Field(ge=0.0, le=100.0, description="per kWh from the grid, currency")
    weekdays: Weekdays = Field(default_factory=lambda: list(ALL_WEEKDAYS))


class Tariff(Strict):
    """Energy price: the first matching window wins, otherwise `default_price_per_kwh`; a
    site's tariff may add a demand charge on the site's peak."""

    id: Identifier = Field(description="the tariff's id, as sites and chargers name it")
    name: str = Field("", description="a title for people")
    currency: str = Field("EUR", min_length=3, max_length=3, description="ISO 4217 code")
    default_price_per_kwh: float = Field(
        ge=0.0, le=100.0, description="per kWh from the grid outside every window, currency"
    )
    windows: list[TariffWindow] = Field(
        default_factory=list, description="time-of-use prices; the first that matches wins"
    )
    demand_charge_per_kw: float = Field(
        0.0,
        ge=0.0,
        le=10_000.0,
        description="per kW of the site's highest 15-minute average load in a billing "
        "(calendar) month; applies where the tariff is a site's",
    )


class SiteSpec(Strict):
    """A grid connection shared by every charger whose `site` names it."""

    id: Identifier = Field(description="the site's id, as chargers and depots name it")
    name: str = Field("", description="a title for people")
    location: tuple[Longitude, Latitude] = Field(
        description="[longitude, latitude], degrees (WGS 84)"
    )
    site_power_limit_kw: float | None = Field(
        None, gt=0.0, le=100_000.0, description="grid connection limit for all its chargers, kW"
    )
    tariff: Identifier | None = Field(None, description="the tariff its chargers' energy costs")


class ChargerSpec(Strict):
    """One charger with `ports` plugs; the price is its own or its tariff's or its site's."""

    id: Identifier = Field(description="the charger's id")
    name: str = Field("", description="a title for people")
    location: tuple[Longitude, Latitude] = Field(
        description="[longitude, latitude], degrees (WGS 84); vehicles within 200 m use it"
    )
    power_kw: float = Field(gt=0.0, le=1_500.0, description="per port, kW")
    current: Literal["AC", "DC"] = Field(description="which of the vehicle's limits applies")
    ports: int = Field(1, ge=1, le=1_000, description="vehicles it charges at once")
    site: Identifier = Field(description="the site whose grid connection it shares")
    efficiency: float = Field(0.95, gt=0.0, le=1.0, description="grid to vehicle inlet")
    price_per_kwh: float | None = Field(
        None, ge=0.0, le=100.0, description="its own flat price per kWh from the grid"
    )
    tariff: Identifier | None = Field(None, description="its own tariff; else its site's")

    @model_validator(mode="after")
    def _one_price(self) -> "ChargerSpec":
        if self.price_per_kwh is not None and self.tariff is not None:
            raise ValueError("give price_per_kwh or tariff, not both")
        return self
