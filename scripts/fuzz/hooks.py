"""Schemathesis hooks for the hub's contract fuzz (tests/contract_fuzz.rs).

What a schema cannot say, the hook supplies, so that generated uploads can be valid and the
stateful links (upload -> read -> outcome) are walked: an event must name the rig whose key sends
it, carry an id of that rig and a timestamp near the hub's clock. Everything else stays as
Hypothesis drew it, so the hub still sees every shape the schema allows.
"""

import datetime
import itertools
import os

import schemathesis

RIG = os.environ["SAIREN_FUZZ_RIG"]
_serial = itertools.count()


@schemathesis.hook
def map_body(ctx, body):
    operation = ctx.operation
    if (
        operation.method.upper() == "POST"
        and operation.path == "/api/fleet/events"
        and isinstance(body, dict)
    ):
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = now.isoformat().replace("+00:00", "Z")
        body["rig_id"] = RIG
        body["id"] = f"{RIG}-{int(now.timestamp())}-{next(_serial) % 10000}"
        body["timestamp"] = stamp
        advisory = body.get("advisory")
        if isinstance(advisory, dict):
            advisory["timestamp"] = stamp
            # Low-risk events stay on the rig (a 400 the Rust tests hold); the fuzz wants the
            # hub's path for the rest.
            if advisory.get("risk_level") == "low":
                advisory["risk_level"] = "elevated"
    if (
        operation.method.upper() == "POST"
        and operation.path == "/api/fleet/heartbeat"
        and isinstance(body, dict)
    ):
        now = datetime.datetime.now(datetime.timezone.utc)
        body["rig_id"] = RIG
        body["sent_at"] = now.isoformat().replace("+00:00", "Z")
    return body


@schemathesis.hook
def map_headers(ctx, headers):
    # The rig's own headers, as its uplink sends them: its id, and its clock (the hub checks
    # both, and refuses another rig's id or a clock a year off before anything else).
    for name in list(headers or {}):
        if name.lower() == "x-rig-id":
            headers[name] = RIG
        elif name.lower() == "x-rig-clock":
            now = datetime.datetime.now(datetime.timezone.utc)
            headers[name] = now.isoformat().replace("+00:00", "Z")
    return headers


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # The fuzz's own rig stays registered: revoking it would turn every later rig request into
    # a 403 and leave the upload links unwalked. Any other rig may be revoked. (At the call, so
    # that ids taken from responses through links are caught too.)
    if (
        case.operation.path == "/api/fleet/rigs/{id}/revoke"
        and (case.path_parameters or {}).get("id") == RIG
    ):
        case.path_parameters["id"] = RIG + "-OTHER"
