"""The push subscription's endpoint, `POST /pubsub/push`, and the worker's liveness route."""

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from fleetsim.api.json_body import is_json_media_type, unsupported_media_type
from fleetsim.api.schemas import Health
from fleetsim.models import InvalidMessageError
from fleetsim.pubsub.auth import PushAuth
from fleetsim.pubsub.envelope import PushEnvelope
from fleetsim.pubsub.handler import Handler, Verdict

router = APIRouter()


async def push_auth(request: Request) -> str:
    auth = cast(PushAuth, request.app.state.push_auth)
    return await auth(request)


async def get_handler(request: Request) -> Handler:
    return cast(Handler, request.app.state.handler)


HandlerDep = Annotated[Handler, Depends(get_handler)]


@router.post(
    "/pubsub/push",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(push_auth)],  # before the body is read: the route takes no body
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PushEnvelope.model_json_schema()}},
        }
    },
    responses={
        415: {"description": "the Content-Type header is not application/json"},
        422: {"description": "not a push envelope: `{detail: [{loc, msg}]}`"},
        401: {"description": "no push credentials"},
        403: {"description": "invalid push credentials"},
        503: {"description": "not handled yet (a transient fault, or the job is busy): redeliver"},
    },
)
async def push(request: Request, handler: HandlerDep) -> Response:
    """2xx acknowledges the message (Pub/Sub will not send it again); 503 has it redelivered.

    The body is read only once the caller is authenticated (FLEETSIM_MAX_BODY_BYTES at most),
    and a 422 names what is wrong without echoing the input back.
    """
    content_type = request.headers.get("content-type")
    if not is_json_media_type(content_type):
        return unsupported_media_type(content_type)
    try:
        envelope = PushEnvelope.model_validate_json(await request.body())
    except ValidationError as exc:
        problems = [
            {"loc": ["body", *error["loc"]], "msg": error["msg"]}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        return JSONResponse({"detail": problems}, status_code=422)
    message = envelope.message
    try:
        data = message.decoded_data()
    except InvalidMessageError as exc:
        verdict = await handler.reject(exc, message.attributes, message.message_id)
    else:
        verdict = await handler.handle(data, message.attributes, message.message_id)
    if verdict is Verdict.RETRY:
        return JSONResponse(
            {"detail": "not handled yet: redeliver later"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/healthz")
async def healthz() -> Health:
    return Health(status="ok")
