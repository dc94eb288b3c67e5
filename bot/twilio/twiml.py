"""TwiML, as Twilio reads it in answer to a webhook: the replies to an inbound message, or
nothing."""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse

MEDIA_TYPE = "application/xml"
EMPTY_TWIML = str(MessagingResponse())  # <Response/>: nothing to say (and no error)


def twiml_for(texts: list[str], status_url: str | None, inbound_id: int) -> str:
    """TwiML with one <Message> per reply; Twilio posts the status of the n-th reply to
    `status_url?i=<inbound id>&n=<n>`, which finds its outbound row."""
    response = MessagingResponse()
    for position, text in enumerate(texts):
        if status_url:
            response.message(text, action=f"{status_url}?i={inbound_id}&n={position}")
        else:
            response.message(text)
    return str(response)
