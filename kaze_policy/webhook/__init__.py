"""The admission webhook (`kaze-policy serve`): the per-object controls on each object the API server admits.

review.py (the AdmissionReview), settings.py (enforcement from kaze-policy.yaml), decider.py
(one request, one decision), app.py (the ASGI routes), server.py (uvicorn, TLS, certificate
reload), serve.py (the command put together). docs/webhook.md says how to run it.
"""
