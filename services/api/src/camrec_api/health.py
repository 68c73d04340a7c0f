"""``GET /health``: is NATS reachable and does every service answer a ping?"""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from camrec_contracts.services import SERVICES
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service


class ServiceHealth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["up", "down"]
    instances: int
    version: str | None = None


class Health(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["ok", "degraded"]
    nats: Literal["ok", "unreachable"]
    services: dict[str, ServiceHealth]
    missing: list[str]
    message: str


class HealthSummary(BaseModel):
    """``/health`` without a login when one is needed: up or not, nothing about the parts."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["ok", "degraded"]


router = APIRouter()


async def _service_health(bus: Bus, name: str) -> ServiceHealth:
    answers = await ping_service(bus.nc, name, timeout_s=1.0)
    if not answers:
        return ServiceHealth(status="down", instances=0)
    return ServiceHealth(status="up", instances=len(answers), version=answers[0].version)


async def check_health(bus: Bus) -> Health:
    if not bus.connected:
        services = {name: ServiceHealth(status="down", instances=0) for name in SERVICES}
        return Health(
            status="degraded",
            nats="unreachable",
            services=services,
            missing=["nats", *SERVICES],
            message="NATS is unreachable",
        )
    results = await asyncio.gather(*(_service_health(bus, name) for name in SERVICES))
    services = dict(zip(SERVICES, results, strict=True))
    missing = [name for name, health in services.items() if health.status == "down"]
    return Health(
        status="degraded" if missing else "ok",
        nats="ok",
        services=services,
        missing=missing,
        message=f"not answering: {', '.join(missing)}" if missing else "all services up",
    )


@router.get(
    "/health",
    response_model=Health | HealthSummary,
    responses={503: {"model": Health, "description": "NATS or a service is missing"}},
)
async def health(request: Request, response: Response) -> Health | HealthSummary:
    """200 when NATS is reachable and proxy, recorder and previewer answer a ping; else 503.
    When a login is needed and this request has none: only the status."""
    bus: Bus = request.app.state.bus
    result = await check_health(bus)
    if result.status != "ok":
        response.status_code = 503
    if request.app.state.login.required and getattr(request.state, "login", None) is None:
        return HealthSummary(status=result.status)
    return result


class Liveness(BaseModel):
    status: str


@router.get("/health/live", response_model=Liveness)
async def live() -> Liveness:
    """200 while this api process serves requests (the container's healthcheck). Whether
    camrec as a whole is up is ``/health``: a recorder that is down must not make Docker
    report the api itself unhealthy."""
    return Liveness(status="ok")
