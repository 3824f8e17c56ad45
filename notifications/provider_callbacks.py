"""Twilio and Slack call these. Verify first (403 and no change otherwise), then parse, then
call a service. Twilio gets TwiML back; Slack gets JSON."""
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from . import responder_actions, sms_replies
from .slack import commands as slack_commands_
from .slack import events as slack_events_
from .channels.twilio_voice import gather_twiml, reply_twiml
from .delivery import delivery_status_update
from .messages import voice_script
from .models import Delivery
from .security import slack_request_valid, twilio_signature_valid


def _twiml(xml: str) -> HttpResponse:
    return HttpResponse(xml, content_type="text/xml; charset=utf-8")


def _forbidden(what: str) -> HttpResponse:
    response = HttpResponse(f"{what} signature is missing or invalid.", status=403, content_type="text/plain")
    response._has_been_logged = True
    return response


def _missing(field: str) -> HttpResponse:
    return HttpResponse(f"{field} is missing: Vigil acts on each Twilio request once, by its id.", status=400,
                        content_type="text/plain")


@csrf_exempt
@require_POST
def twilio_sms(request: HttpRequest) -> HttpResponse:
    if not twilio_signature_valid(request):
        return _forbidden("X-Twilio-Signature")
    sid = request.POST.get("MessageSid", "")
    if not sid:
        return _missing("MessageSid")
    outcome = sms_replies.sms_received(message_sid=sid, from_number=request.POST.get("From", ""),
                                       body=request.POST.get("Body", ""))
    reply = MessagingResponse()
    # Already processed: an empty answer, so that Twilio neither retries nor texts anyone.
    if outcome is not None:
        reply.message(outcome.text)
    return _twiml(str(reply))


@csrf_exempt
@require_POST
def twilio_voice(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """The TwiML a page call plays: read the incident out, then gather a key."""
    if not twilio_signature_valid(request):
        return _forbidden("X-Twilio-Signature")
    delivery = get_object_or_404(Delivery.objects.select_related("page__incident__service"), pk=delivery_id)
    if request.POST.get("AnsweredBy", "").startswith("machine"):
        # A voicemail heard nothing useful: count the call as not delivered, try the next rule.
        delivery_status_update(provider_id=delivery.provider_id, status="no-answer", answered_by=request.POST["AnsweredBy"])
        return _twiml(reply_twiml("This is Vigil. An incident needs you; please check your pages."))
    text, prompt = voice_script(delivery)
    # Twilio signs the URL it calls, so the action must be the public address.
    return _twiml(gather_twiml(text=text, prompt=prompt, action_url=f"{settings.PUBLIC_URL}{request.path}keypress/"))


@csrf_exempt
@require_POST
def twilio_keypress(request: HttpRequest, delivery_id: int) -> HttpResponse:
    if not twilio_signature_valid(request):
        return _forbidden("X-Twilio-Signature")
    call_sid = request.POST.get("CallSid", "")
    if not call_sid:
        return _missing("CallSid")
    delivery = get_object_or_404(Delivery.objects.select_related("page__incident", "page__user"), pk=delivery_id)
    # On a phone call Vigil placed, To is the person's number and From is Vigil's.
    outcome = responder_actions.keypress_received(delivery=delivery, call_sid=call_sid, digits=request.POST.get("Digits", ""),
                                        called=request.POST.get("To", ""))
    return _twiml(reply_twiml(outcome.text) if outcome is not None else str(VoiceResponse()))


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not twilio_signature_valid(request):
        return _forbidden("X-Twilio-Signature")
    sid = request.POST.get("MessageSid") or request.POST.get("CallSid") or ""
    status = request.POST.get("MessageStatus") or request.POST.get("CallStatus") or ""
    delivery_status_update(provider_id=sid, status=status.lower(), answered_by=request.POST.get("AnsweredBy", ""))
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def slack_interactions(request: HttpRequest) -> HttpResponse:
    if not slack_request_valid(request):
        return _forbidden("Slack request")
    try:
        payload = json.loads(request.POST.get("payload", ""))
        action = payload["actions"][0]
        user_id = payload["user"]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        return JsonResponse({"text": "Vigil could not read that interaction."}, status=400)
    outcome = responder_actions.slack_action(slack_user_id=str(user_id), value=str(action.get("value", "")))
    return JsonResponse({"response_type": "ephemeral", "replace_original": False, "text": outcome.text})


@csrf_exempt
@require_POST
def slack_commands(request: HttpRequest) -> HttpResponse:
    """`/incident …`, `/oncall [team]`, and `/vigil` for both (slack/commands.py)."""
    if not slack_request_valid(request):
        return _forbidden("Slack request")
    reply = slack_commands_.command_received(
        command=request.POST.get("command", ""), text=request.POST.get("text", ""),
        slack_user_id=request.POST.get("user_id", ""), channel_id=request.POST.get("channel_id", ""))
    return JsonResponse(reply.as_json())


@csrf_exempt
@require_POST
def slack_events(request: HttpRequest) -> HttpResponse:
    """Events API: URL verification and 📌 reactions (slack/events.py)."""
    if not slack_request_valid(request):
        return _forbidden("Slack request")
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "The body is not a JSON object."}, status=400)
    return JsonResponse(slack_events_.event_received(payload=payload))
