"""The envelope a push subscription POSTs: the message with base64 data, and its subscription."""

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field

from fleetsim.models.message import InvalidMessageError, attribute_job_id


class PushedMessage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    data: str = Field("", description="base64; absent for a message with attributes only")
    attributes: dict[str, str] = Field(default_factory=dict)
    message_id: str = Field(alias="messageId")
    publish_time: str | None = Field(None, alias="publishTime")

    def decoded_data(self) -> bytes:
        """The message data; InvalidMessageError when it is not base64."""
        try:
            return base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidMessageError(
                f"message data is not base64: {exc}", job_id=attribute_job_id(self.attributes)
            ) from exc


class PushEnvelope(BaseModel):
    """https://cloud.google.com/pubsub/docs/push#receive_push"""

    model_config = ConfigDict(populate_by_name=True)

    message: PushedMessage
    subscription: str
    delivery_attempt: int | None = Field(
        None, alias="deliveryAttempt", description="only on subscriptions with a dead-letter policy"
    )
