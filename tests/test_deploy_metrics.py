"""The alert rules and the dashboard in deploy/ use only names that /metrics exports (a renamed
metric would silently turn an alert into one that never fires), and the dashboard is well formed.
CI also runs promtool's own checks on the rules (.ci/run)."""
import json
import re
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
            "gauge": ("",), "summary": ("", "_count", "_sum", "_created")}


def exported_names(client) -> set[str]:
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        if kind == "counter":
            name = name.removesuffix("_total")  # the text format names a counter with its suffix
        names |= {name + suffix for suffix in SUFFIXES.get(kind, ("",))}
    return names


def used_names(text: str) -> set[str]:
    return set(re.findall(r"\bvigil_[a-z0-9_]+", text))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["prometheus/vigil-rules.yml", "grafana/vigil-dashboard.json"])
def test_every_metric_in_deploy_files_is_exported(client, path):
    used = used_names((DEPLOY / path).read_text())
    assert used, f"{path} names no vigil metric"
    assert used - exported_names(client) == set()


def test_dashboard_panels_each_query_prometheus_with_unique_ids():
    dashboard = json.loads((DEPLOY / "grafana/vigil-dashboard.json").read_text())
    assert dashboard["uid"] and dashboard["title"]
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert used_names(target["expr"]), f"{panel['title']}: {target['expr']}"
            assert target["refId"]
