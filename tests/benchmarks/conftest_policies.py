"""The catalog's per-object controls as Conftest policies, and the data Conftest needs to judge as kaze-policy does.

Run: `python tests/benchmarks/conftest_policies.py OUT [STACK…]` writes the policy folder to OUT
(and, for each STACK folder, OUT-data/<n>/inventory.json); bench_tools.py calls it as a module.

The controls are the ones `kaze-policy serve` judges object by object (per-object, scope
`admission`: kaze_policy.export.gatekeeper.selected), whose Rego reads the object under
review and the context the webhook keeps (the configuration, the namespaces and the objects
it watches: gatekeeper.check_portable). Each becomes a module of its own package (run with
`conftest test --all-namespaces`), made from the control's own Rego by a checked textual
adaptation, never rewritten by hand:

- Conftest's input is the manifest object itself: `input.object` becomes `input`, and the
  inventory id the rules put in their findings (`input.id`) is computed from the object, as the
  scan names it (kaze_conftest.object_id).
- Conftest reads `violation` as a failure rule: the control's rule is renamed `kaze_violation`,
  and `deny` gives one result per finding, `{"msg", "control", "resource"}`, on the objects of
  the control's kinds only (the scan dispatches by kind; Conftest offers every document to every
  rule); a control that is `not_applicable` denies nothing, as in the scan.
- The catalog libraries a control imports are copied as they are (none reads `input`).

`data.inventory` is what the webhook judges with: the configuration (the nearest
kaze-policy.yaml), the namespaces, the pod templates, and the objects of the context kinds
(Namespaces, PersistentVolumeClaims, CiliumNetworkPolicies); given to Conftest with
`--data`. Preparing it is not timed by the benchmark: a Conftest user keeps such a file.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kaze_policy.catalog import DEFAULT_POLICY_DIR, Catalog, Control, load_catalog  # noqa: E402
from kaze_policy.export.gatekeeper import (CONTEXT_GVKS, NotPortable, check_portable, lib_closure,  # noqa: E402
                                           libraries, selected)
from kaze_policy.sources.kubernetes import CLUSTER_SCOPED_KINDS  # noqa: E402

LIB_PACKAGE = "kaze_conftest"
_VIOLATION_HEAD = re.compile(r"^violation contains ", re.M)
# Rule names Conftest queries in every namespace (policy/engine.go: failureRegex, warningRegex).
_CONFTEST_RULE = re.compile(r"^(deny|violation|warn)(_[A-Za-z0-9]+)*\b", re.M)
_NOT_APPLICABLE = re.compile(r"^(default\s+)?not_applicable\b", re.M)
_COMMENT = re.compile(r"^\s*#.*$", re.M)


@dataclass
class Policies:
    """What was written: the controls as Conftest policies, and the others with why not."""

    folder: Path
    controls: list[Control] = field(default_factory=list)
    not_exported: dict[str, str] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.controls]


def kubernetes_kinds(control: Control) -> list[str]:
    """The control's Kubernetes kinds (Terraform blocks are not Kubernetes objects)."""
    return [k for k in control.kinds if k[:1].isupper()]


def adapt(control: Control, libs: dict[str, Path]) -> tuple[str, list[str]]:
    """The control's module as a Conftest policy, and the libraries it needs (by name)."""
    text = Path(control.file).read_text(encoding="utf-8")
    names = lib_closure(text, libs)
    package = control.package.removeprefix("data.")
    check_portable(package, text)
    for name in names:
        check_portable(f"kaze.lib.{name}", libs[name].read_text(encoding="utf-8"))
        if re.search(r"\binput\b", _COMMENT.sub("", libs[name].read_text(encoding="utf-8"))):
            raise NotPortable(f"the library kaze.lib.{name} reads input")
    code = _COMMENT.sub("", text)
    if len(_VIOLATION_HEAD.findall(text)) == 0:
        raise NotPortable("no `violation contains` rule")
    renamed = _VIOLATION_HEAD.sub("kaze_violation contains ", text)
    if re.search(r"\bviolation\b", _COMMENT.sub("", renamed).replace("kaze_violation", "")):
        raise NotPortable("it reads its own `violation` rule, which is renamed for Conftest")
    leftover = [m.group(0) for m in _CONFTEST_RULE.finditer(_COMMENT.sub("", renamed))]
    if leftover:
        raise NotPortable(f"it defines {', '.join(sorted(set(leftover)))}, which Conftest would query")
    adapted = re.sub(r"\binput\.object\b", "input", renamed)
    adapted = re.sub(r"\binput\.id\b", f"data.{LIB_PACKAGE}.object_id", adapted)
    kinds = kubernetes_kinds(control)
    guard = "\tnot not_applicable\n" if _NOT_APPLICABLE.search(code) else ""
    deny = (
        "\n# Conftest: one denial per finding of the control's rule, on the objects of its kinds only\n"
        "# (the scan evaluates a per-object control on those objects alone).\n"
        f"deny contains {{\"msg\": v.msg, \"control\": \"{control.id}\", "
        f"\"resource\": object.get(v, \"resource\", data.{LIB_PACKAGE}.object_id)}} if {{\n"
        f"\tdata.{LIB_PACKAGE}.judged({json.dumps(kinds)})\n"
        f"{guard}"
        "\tsome v in kaze_violation\n"
        "}\n")
    return adapted.rstrip("\n") + "\n" + deny, names


def lib_module() -> str:
    """kaze_conftest: the object's inventory id and whether a control judges it."""
    return f"""\
# What kaze-policy gives a per-object rule besides the object: its inventory id, and the
# dispatch by kind (a control judges the objects of its kinds, and for the controls of pods
# the custom kinds that run pods, data.inventory.pod_templates).
package {LIB_PACKAGE}

import rego.v1

cluster_scoped := {json.dumps(sorted(CLUSTER_SCOPED_KINDS))}

name := n if {{
	n := object.get(input, ["metadata", "name"], "")
	is_string(n)
	n != ""
}} else := n if {{
	n := object.get(input, ["metadata", "generateName"], "")
	is_string(n)
	n != ""
}} else := "(unnamed)"

namespace := "" if input.kind in cluster_scoped

namespace := input.metadata.namespace if {{
	not input.kind in cluster_scoped
	has_namespace
}}

namespace := "default" if {{
	not input.kind in cluster_scoped
	not has_namespace
}}

has_namespace if {{
	is_string(input.metadata.namespace)
	input.metadata.namespace != ""
}}

object_id := concat("/", [input.kind, name]) if namespace == ""

object_id := concat("/", [input.kind, namespace, name]) if namespace != ""

api_group := "" if not contains(object.get(input, "apiVersion", ""), "/")

api_group := split(input.apiVersion, "/")[0] if contains(input.apiVersion, "/")

judged(kinds) if input.kind in kinds

judged(kinds) if {{
	"Pod" in kinds
	not input.kind in kinds
	data.inventory.pod_templates[concat("/", [api_group, input.kind])]
}}
"""


def write_policies(out: Path, policy_dir: Path = DEFAULT_POLICY_DIR, catalog: Catalog | None = None) -> Policies:
    """Write the policy folder (replacing it); the controls written and those left out, with why."""
    catalog = catalog or load_catalog(policy_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    result = Policies(out)
    chosen, result.not_exported = selected(catalog)
    libs = libraries(catalog, policy_dir)
    needed: set[str] = set()
    for control in chosen:
        if not kubernetes_kinds(control):
            result.not_exported[control.id] = "it judges no Kubernetes kind"
            continue
        try:
            module, names = adapt(control, libs)
        except NotPortable as err:
            result.not_exported[control.id] = str(err)
            continue
        (out / f"{control.id.lower()}.rego").write_text(module, encoding="utf-8")
        needed.update(names)
        result.controls.append(control)
    (out / "lib").mkdir()
    for name in sorted(needed):
        shutil.copyfile(libs[name], out / "lib" / f"{name}.rego")
    (out / "lib" / f"{LIB_PACKAGE}.rego").write_text(lib_module(), encoding="utf-8")
    return result


# --- data.inventory for Conftest ---------------------------------------------------------------

class NotComparable(Exception):
    """Why a folder is not judged the same way by Conftest (a kustomization, Terraform…)."""


def conftest_data(folder: Path) -> dict[str, Any]:
    """`{"inventory": …}` for Conftest's --data: the folder's configuration, namespaces, pod
    templates and context objects, as kaze-policy builds them (no analyzer facts)."""
    from kaze_policy.config import load_config
    from kaze_policy.inventory import Inventory, configured_pod_templates, place_pods
    from kaze_policy.sources.discover import discover, nearest_config
    from kaze_policy.sources.load import load_target

    founds = discover([str(folder)])
    specs = [spec for found in founds for spec in found.targets]
    if len(specs) != 1:
        raise NotComparable(f"{len(specs)} targets (kustomizations): Conftest reads the files, kaze-policy renders them")
    spec = specs[0]
    if spec.kind != "files":
        raise NotComparable("a kustomization: Conftest reads its files, kaze-policy the objects it renders")
    full = load_target(spec)
    others = sorted({r.source for r in full.resources} - {"kubernetes"})
    if others:
        raise NotComparable(f"it holds {', '.join(others)} resources: the Conftest policies judge Kubernetes objects")
    config_file = nearest_config(spec.path)
    config = load_config(config_file) if config_file else None
    context = Inventory(target=full.target, config=config, scopes=set(full.scopes))
    context.add([r for r in full.resources if r.kind in CONTEXT_GVKS])
    data = context.to_data()
    # The custom kinds that run pods, as the scan finds them among all the folder's objects.
    data["pod_templates"] = place_pods(full.resources, configured_pod_templates(config)).templates
    return {"inventory": data}


def write_data(folder: Path, out: Path) -> Path:
    """conftest_data(folder) as out/inventory.json (a folder of its own: Conftest's --data)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "inventory.json").write_text(json.dumps(conftest_data(folder), default=str), encoding="utf-8")
    return out


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit(__doc__.splitlines()[2])
    policies = write_policies(Path(argv[0]))
    print(f"{len(policies.controls)} controls as Conftest policies in {policies.folder}: {', '.join(policies.ids)}")
    for cid, why in sorted(policies.not_exported.items()):
        print(f"  not {cid}: {why}")
    for n, stack in enumerate(argv[1:]):
        print("data:", write_data(Path(stack), Path(argv[0] + "-data") / str(n)))


if __name__ == "__main__":
    main(sys.argv[1:])
