"""What the webhook exposes to Prometheus (`/metrics`), in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# From half a millisecond (a decision's usual cost) to the API server's 5 s timeout.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)


class WebhookMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("kaze_policy_admission_requests", "Admission requests by operation, kind and decision",
                                ["operation", "kind", "decision"], registry=self.registry)
        self.latency = Histogram("kaze_policy_admission_duration_seconds",
                                 "Time from a request's arrival to its answer", buckets=LATENCY_BUCKETS,
                                 registry=self.registry)
        self.violations = Counter("kaze_policy_admission_violations", "Violations found, by control and enforcement",
                                  ["control", "mode"], registry=self.registry)
        self.bad_requests = Counter("kaze_policy_admission_bad_requests",
                                    "Bodies that were not an AdmissionReview (answered 400)", registry=self.registry)
        self.egress = Counter("kaze_policy_egress_decisions", "POST /decide/egress answers, by decision",
                              ["decision"], registry=self.registry)
        self.ready = Gauge("kaze_policy_ready", "1 when the policies are compiled and the context synced",
                           registry=self.registry)
        self.certificate_reloads = Counter("kaze_policy_certificate_reloads",
                                           "Serving certificates taken from disk after they changed",
                                           registry=self.registry)
