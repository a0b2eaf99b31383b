# kaze-policy: `make demo` scans the shipped stack; `make test` runs the whole suite.
# Everything the project needs is installed by these targets: Python packages from PyPI,
# the regorus binding built by maturin from crates.io, opa and kustomize built from Go modules.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools/bin
REPORTS := reports
DEMO_TARGET := infra

.PHONY: all demo demo-live test tools scan-tools cluster-tools policyreport-crds postgres chromium venv bench bench-webhook fuzz soak lint-rego clean bootstrap-rbac mutation docs sbom

all: test

$(VENV)/.installed: pyproject.toml native/Cargo.toml native/Cargo.lock native/src/lib.rs
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,audit]'
	touch $@

venv: $(VENV)/.installed

# opa and kustomize, at the versions pinned in tools/go.mod, built from the Go module proxy.
$(TOOLS)/opa $(TOOLS)/kustomize &: tools/go.mod tools/go.sum
	mkdir -p $(TOOLS)
	cd tools && go build -o ../$(TOOLS)/ github.com/open-policy-agent/opa sigs.k8s.io/kustomize/kustomize/v5
	touch $(TOOLS)/opa $(TOOLS)/kustomize

# yaml2json: the reference YAML decoder of the tests (kubectl's reading of a manifest stream),
# a module of its own so that its apimachinery leaves the dependencies of opa and kustomize as pinned.
$(TOOLS)/yaml2json: tools/yaml2json/go.mod tools/yaml2json/go.sum $(wildcard tools/yaml2json/*.go)
	mkdir -p $(TOOLS)
	cd tools/yaml2json && go build -o ../../$(TOOLS)/yaml2json .
	touch $(TOOLS)/yaml2json

# The Kubernetes RBAC tools, over the k8s.io/kubernetes pinned in tools/k8s/go.mod (a module
# of its own: it replaces every k8s.io staging module): bootstrap-rbac dumps the roles an API
# server starts with, rbac-oracle is the authorizer tests/analysis/test_rbac_oracle.py asks.
K8S_TOOLS := $(TOOLS)/bootstrap-rbac $(TOOLS)/rbac-oracle
$(K8S_TOOLS) &: tools/k8s/go.mod tools/k8s/go.sum $(wildcard tools/k8s/*/*.go)
	mkdir -p $(TOOLS)
	cd tools/k8s && go build -o ../../$(TOOLS)/ ./bootstrap-rbac ./rbac-oracle
	touch $(K8S_TOOLS)

# The built-in roles of analysis/rbac.py, generated (never hand-written) and committed: the
# package needs them where Go is not installed. tests/analysis/test_rbac_bootstrap.py fails
# when the committed file differs from a fresh dump.
BOOTSTRAP_RBAC := kaze_policy/analysis/data/bootstrap_rbac.json
$(BOOTSTRAP_RBAC): $(TOOLS)/bootstrap-rbac
	$(TOOLS)/bootstrap-rbac > $@.tmp && mv $@.tmp $@

bootstrap-rbac: $(BOOTSTRAP_RBAC)

# A live control plane for the tests of the cluster source (tests/cluster/): the API server of
# the same pinned Kubernetes (a `tool` of tools/k8s/go.mod), and etcd from a module of its own
# (its gRPC and OpenTelemetry pins differ from Kubernetes'). Some 6 minutes from a cold Go
# build cache, seconds to link from a warm one; only `make test` and `make tools` build them.
# Its version (in /version, and in a snapshot's header) is the module's, stamped as Kubernetes' release build does.
$(TOOLS)/kube-apiserver: tools/k8s/go.mod tools/k8s/go.sum
	mkdir -p $(TOOLS)
	cd tools/k8s && v=$$(go list -m -f '{{.Version}}' k8s.io/kubernetes) && m=$${v#v} && \
		go build -ldflags "-X k8s.io/component-base/version.gitVersion=$$v \
			-X k8s.io/component-base/version.gitMajor=$${m%%.*} -X k8s.io/component-base/version.gitMinor=$$(echo $$m | cut -d. -f2)" \
			-o ../../$(TOOLS)/ k8s.io/kubernetes/cmd/kube-apiserver
	touch $@

$(TOOLS)/etcd: tools/etcd/go.mod tools/etcd/go.sum
	mkdir -p $(TOOLS)
	cd tools/etcd && go build -o ../../$(TOOLS)/etcd go.etcd.io/etcd/server/v3
	touch $@

cluster-tools: $(TOOLS)/kube-apiserver $(TOOLS)/etcd

# The Policy Report CRDs (wgpolicyk8s.io/v1alpha2) as Kyverno ships them, for the tests of
# `--format policyreport` (each report against their schemas) and `audit --apply-reports`
# (installed in the test API server). Kyverno's module, at the version and checksum pinned here,
# is downloaded into the Go module cache (verified by the go command, then against the pin) and
# its two CRD files copied to .tools/crds: generated, never committed.
KYVERNO_MODULE := github.com/kyverno/kyverno
KYVERNO_VERSION := v1.19.1
KYVERNO_SUM := h1:/MkgFii3/VlQfKR1JpC9tVwNNVNQTt2S4U6qCsafsTU=
CRDS := .tools/crds
POLICYREPORT_CRDS := $(CRDS)/wgpolicyk8s.io_policyreports.yaml $(CRDS)/wgpolicyk8s.io_clusterpolicyreports.yaml
$(POLICYREPORT_CRDS) &: Makefile
	mkdir -p $(CRDS)
	out=$$(go mod download -json $(KYVERNO_MODULE)@$(KYVERNO_VERSION)) || { echo "$$out" >&2; exit 1; }; \
	set -- $$(echo "$$out" | $(PYTHON) -c 'import json, sys; m = json.load(sys.stdin); print(m["Dir"], m["Sum"])'); \
	test "$$2" = "$(KYVERNO_SUM)" || { echo "$(KYVERNO_MODULE)@$(KYVERNO_VERSION): checksum $$2, pinned $(KYVERNO_SUM)" >&2; exit 1; }; \
	install -m 0644 $(addprefix $$1/config/crds/policyreport/,$(notdir $(POLICYREPORT_CRDS))) $(CRDS)/

policyreport-crds: $(POLICYREPORT_CRDS)

# PostgreSQL, for the tests of the database probe (tests/probes/postgres_server.py starts one in
# a temporary folder): Debian's package, installed when no initdb is found.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

# Chromium, headless, for the test that looks at the HTML report (tests/test_html_browser.py).
chromium:
	@command -v chromium >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# go-containerregistry's registry, for the tests of the registry probe (probes/registry.py): with
# and without the OCI referrers API (a module of its own).
$(TOOLS)/oci-registry: tools/oci-registry/go.mod tools/oci-registry/go.sum tools/oci-registry/main.go
	mkdir -p $(TOOLS)
	cd tools/oci-registry && go build -o ../../$(TOOLS)/oci-registry .
	touch $@

# gator, Gatekeeper's own test runner, for the suites `kaze-policy export gatekeeper` writes
# (tests/test_gatekeeper_export.py): built from the Gatekeeper release pinned in tools/gator/go.mod,
# its version stamped as Gatekeeper's release build does.
$(TOOLS)/gator: tools/gator/go.mod tools/gator/go.sum
	mkdir -p $(TOOLS)
	cd tools/gator && v=$$(go list -m -f '{{.Version}}' github.com/open-policy-agent/gatekeeper/v3) && \
		go build -ldflags "-X github.com/open-policy-agent/gatekeeper/v3/pkg/version.Version=$$v" \
			-o ../../$(TOOLS)/gator github.com/open-policy-agent/gatekeeper/v3/cmd/gator
	touch $@

# Regal, the Rego linter of the OPA project, for `regal lint rego` in make test
# (tests/test_rego_quality.py; .regal/config.yaml says which rules are relaxed and why): built
# from the release pinned in tools/regal/go.mod (a module of its own), its version stamped as
# Regal's release build does.
$(TOOLS)/regal: tools/regal/go.mod tools/regal/go.sum
	mkdir -p $(TOOLS)
	cd tools/regal && v=$$(go list -m -f '{{.Version}}' github.com/open-policy-agent/regal) && \
		go build -ldflags "-X github.com/open-policy-agent/regal/pkg/version.Version=$$v" \
			-o ../../$(TOOLS)/regal github.com/open-policy-agent/regal
	touch $@

# vegeta, the HTTP load generator of the webhook's benchmark (a module of its own).
$(TOOLS)/vegeta: tools/vegeta/go.mod tools/vegeta/go.sum
	mkdir -p $(TOOLS)
	cd tools/vegeta && go build -o ../../$(TOOLS)/vegeta github.com/tsenart/vegeta/v12
	touch $@

# Conftest, what users would run instead of kaze-policy on per-object rules, for `make bench`'s
# comparison (tests/benchmarks/bench_tools.py): built from the release pinned in
# tools/conftest/go.mod (a module of its own), its version stamped as Conftest's release build
# does. Only `make bench` builds it, not `make tools`.
$(TOOLS)/conftest: tools/conftest/go.mod tools/conftest/go.sum
	mkdir -p $(TOOLS)
	cd tools/conftest && v=$$(go list -m -f '{{.Version}}' github.com/open-policy-agent/conftest) && \
		go build -ldflags "-X github.com/open-policy-agent/conftest/internal/version.Version=$${v#v}" \
			-o ../../$(TOOLS)/conftest github.com/open-policy-agent/conftest
	touch $@

# Checkov, for `scan --checkov` (kaze_policy/checkov.py) and its tests: a separate tool in a
# virtual environment of its own, as the Go tools are, for its pins would downgrade what
# kaze-policy needs (cyclonedx-python-lib, packageurl-python, packaging). Pinned here; the
# stamp names the version, so a new pin builds a fresh environment. It runs offline: see
# kaze_policy/checkov.py for the flags and variables that keep it from the network.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .tools/checkov-venv
$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $@

$(TOOLS)/checkov: $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
	mkdir -p $(TOOLS)
	ln -sfn ../checkov-venv/bin/checkov $@
	touch $@

# What the file scan needs: `make demo` builds these and nothing else (the built-in roles of
# the RBAC analysis are the committed $(BOOTSTRAP_RBAC); the Kubernetes tools are for the tests).
scan-tools: $(TOOLS)/opa $(TOOLS)/kustomize $(TOOLS)/yaml2json

tools: scan-tools $(K8S_TOOLS) $(BOOTSTRAP_RBAC) cluster-tools policyreport-crds $(TOOLS)/vegeta $(TOOLS)/oci-registry $(TOOLS)/gator $(TOOLS)/regal $(TOOLS)/checkov postgres chromium

demo: venv scan-tools
	mkdir -p $(REPORTS)
	$(VENV)/bin/kaze-policy scan $(DEMO_TARGET) --no-progress \
		--format text --output $(REPORTS)/scan.txt \
		--format json --output $(REPORTS)/scan.json \
		--format sarif --output $(REPORTS)/scan.sarif \
		--format junit --output $(REPORTS)/scan.junit.xml \
		--format text
	$(VENV)/bin/kaze-policy audit $(DEMO_TARGET) --out $(REPORTS)/audit --framework soc2 --no-progress
	@echo "reports written to $(REPORTS)/ (the audit's, with its manifest, to $(REPORTS)/audit/)"

# Every probe at work: local servers (an API server with an overlay of infra/ applied, OpenBao
# with infra/vault loaded, PostgreSQL with the platform's schema, an mTLS port), then the live scan.
demo-live: venv tools
	$(PY) tools/demo_live.py

test: venv tools
	$(PY) -m pytest

# The property-based tests with their long budgets (KAZE_FUZZ=1), instead of make test's short ones:
# the differential ones (YAML against kubectl's decoder, RBAC against Kubernetes' authorizer, Vault
# ACLs against OpenBao), the analyzers' properties, the file sources on generated files and the
# webhook's endpoint on generated bodies; Hypothesis's figures for each test (examples run, time), and
# the differential tests' own (-rA: what they print).
FUZZ_TESTS := tests/test_yaml_reference.py tests/analysis/test_rbac_oracle.py tests/analysis/test_vault_acl_openbao.py \
	tests/analysis/test_netpol_properties.py tests/analysis/test_rbac.py::test_who_can_agrees_with_permissions_of_and_namespaces \
	tests/test_source_properties.py tests/webhook/test_endpoint_properties.py
fuzz: venv tools
	KAZE_FUZZ=1 $(PY) -m pytest -q -rA --hypothesis-show-statistics $(FUZZ_TESTS)

# Then kaze-policy side by side with Conftest and Checkov on generated stacks (BENCH_SIZES=1000,10000
# limits the sizes; default 1000,10000,50000), with the webhook's load figures: reports/bench.md,
# reports/bench.json, reports/bench.png.
BENCH_SIZES ?=
bench: venv tools $(TOOLS)/conftest $(TOOLS)/vegeta
	$(PY) tests/benchmarks/bench_scan.py 1000 10000
	KAZE_BENCH_ENGINE=opa $(PY) tests/benchmarks/bench_scan.py 10000
	$(PY) tests/benchmarks/bench_bad_input.py
	$(PY) tests/benchmarks/bench_netpol.py
	$(PY) tests/benchmarks/bench_rbac.py
	$(PY) tests/benchmarks/bench_vault_acl.py
	$(PY) tests/benchmarks/bench_tools.py $(if $(BENCH_SIZES),--sizes $(BENCH_SIZES))

# The admission webhook under load (docs/webhook.md): `kaze-policy serve` driven by vegeta over
# TLS, 500 requests/s for 60 s, then rising rates; figures on stdout and in reports/bench-webhook.json.
bench-webhook: venv $(TOOLS)/vegeta
	$(PY) tests/benchmarks/bench_webhook.py

# The admission webhook soaked (tests/benchmarks/soak_webhook.py): 200 requests/s for 10 minutes
# (SOAK_SECONDS, SOAK_RATE) after a 30 s warm-up, its RSS sampled every 10 s; exit 1 on any failed
# request or an RSS grown by 10 % or more. Figures on stdout and in reports/soak-webhook.json.
soak: venv $(TOOLS)/vegeta
	$(PY) tests/benchmarks/soak_webhook.py

# Mutation testing of the Python core with mutmut (docs/mutation.md): each mutant runs against the
# tests that reach its function. MUTATE: files or folders under kaze_policy/ (default: evaluate.py,
# analysis/, sources/, engine/); MUTATION_WORKERS: mutants at once; MUTATION_RESUME=1 goes on from
# the last run (what it did not reach, then its survivors again); MUTANTS="name…" with
# MUTATION_RESUME=1 runs only those mutants again (mutmut's names, * patterns). Survivors:
# reports/mutation.md.
MUTATE ?=
MUTATION_WORKERS ?= 1
MUTATION_RESUME ?=
MUTANTS ?=
mutation: venv tools
	$(PY) tools/mutation/run.py --workers $(MUTATION_WORKERS) $(if $(MUTATION_RESUME),--resume) $(MUTATE) \
		$(if $(MUTANTS),--mutants $(MUTANTS))

# docs/controls.md, the catalog as a page (each SARIF rule's helpUri links to its control's
# section): generated from the METADATA of rego/ and the fixtures, never edited by hand, and
# committed; tests/test_controls_doc.py fails when it differs from a fresh generation.
docs: venv
	$(PY) -m kaze_policy.report.controls_doc > docs/controls.md.tmp && mv docs/controls.md.tmp docs/controls.md

# kaze-policy's own CycloneDX SBOM (tools/sbom.py, cyclonedx-python-lib): kaze-policy and every
# distribution it needs at run time, as installed in .venv, each with its purl, licence and a
# SHA-256 (of its wheel for kaze-policy itself, built here by maturin, warm after `make venv`;
# of its installed files for the rest: tools/sbom.py says why).
SBOM := $(REPORTS)/sbom/kaze-policy.cdx.json
sbom: venv
	rm -rf dist/sbom
	$(PY) -m maturin build --release --locked --interpreter $(PY) --compatibility off --quiet -o dist/sbom
	$(PY) tools/sbom.py --wheels dist/sbom --output $(SBOM)

lint-rego: tools
	$(TOOLS)/opa fmt --list --fail rego
	$(TOOLS)/opa check --strict rego
	$(TOOLS)/regal lint rego

clean:
	rm -rf $(VENV) .tools $(REPORTS) native/target .mutation
