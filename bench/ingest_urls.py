"""Vigil's URLs plus the baseline of bench/ingest.py: a bare Django view that parses the same
JSON body an alert carries and inserts one row (one statement, committed), through the same
middleware, gunicorn workers and database as the real endpoints."""
import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as vigil_urlpatterns

BARE_TABLE = "bench_bare_ingest"


@csrf_exempt
def bare_ingest(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BARE_TABLE} (dedup_key, title, received_at) VALUES (%s, %s, %s)",
                       [str(body.get("dedup_key", ""))[:255], str(body.get("title", ""))[:1024], timezone.now()])
    return JsonResponse({"status": "accepted"}, status=202)


urlpatterns = [path("bench/bare-ingest/", bare_ingest), *vigil_urlpatterns]
