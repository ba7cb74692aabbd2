#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
"""Offline validation of deploy/kubernetes/ (run by `make test`, after the Swift tests).

No cluster is needed or contacted:
  - yamllint on every YAML file under deploy/kubernetes/;
  - kubernetes-validate --strict (the Kubernetes JSON schemas it ships) on every manifest but
    the kustomization.yaml files, and on what `kubectl kustomize` renders from the base and the
    example overlay, when kubectl is installed;
  - holdfastd --check-config on the ConfigMap's holdfast.toml and the overlay's (the daemon
    from $HOLDFAST_BIN_DIR, as the Swift integration tests use it);
  - what SPEC's "On every node of a Kubernetes cluster" asks of the manifests, checked on the
    parsed objects: hostNetwork, no container ports, the rolling update, exec probes through
    the pod's own control socket, the init container's address matching the listen address,
    capabilities, the memory request and limit following from cache.max_entries and
    upstream.max_in_flight (the formula below), the scrape annotations matching metrics_listen.
Prints one line per check and closes with "N passed, N failed"; exits 1 when any failed.
"""
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = os.path.join(REPO, "deploy", "kubernetes")
OVERLAY = os.path.join(REPO, "deploy", "overlays", "example")
K8S_VERSION = os.environ.get("KUBERNETES_VERSION", "1.32.0")

# The memory bound of one holdfastd (README, "Memory" and "Kubernetes"):
#   bound = BASE_BYTES + max_entries * ENTRY_BYTES + max_in_flight * IN_FLIGHT_BYTES
#   limit = request = the bound * 1.25 (allocator slack), rounded up to a MiB.
# Measured: 259 resident bytes per cache entry of a small answer (one A record, a 37-character
# name; scripts/measure-cache-memory.sh, release build) and 25 MiB at start; 512 bytes per
# entry leaves room for larger answers.
BASE_BYTES = 32 * 1024**2
ENTRY_BYTES = 512
IN_FLIGHT_BYTES = 4096
SLACK = 1.25

passed = 0
failed = 0


def check(description, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {description}")
    else:
        failed += 1
        print(f"FAIL - {description}")
        for line in str(detail).rstrip().splitlines():
            print(f"  {line}")


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)


def memory_bytes(quantity):
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi)?", str(quantity))
    if not m:
        return None
    return int(m.group(1)) * {None: 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}[m.group(2)]


def expected_memory_mib(config):
    entries = config.get("cache", {}).get("max_entries", 200000)
    in_flight = config.get("upstream", {}).get("max_in_flight", 10000)
    bound = BASE_BYTES + entries * ENTRY_BYTES + in_flight * IN_FLIGHT_BYTES
    return entries, in_flight, math.ceil(bound * SLACK / 1024**2)


def yaml_files(root):
    out = []
    for dirpath, _, names in os.walk(root):
        out += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith((".yaml", ".yml"))]
    return sorted(out)


def rel(path):
    return os.path.relpath(path, REPO)


def kubernetes_validate(paths, what):
    r = run([sys.executable, "-m", "kubernetes_validate", "--strict", "--kubernetes-version", K8S_VERSION, *paths])
    check(f"kubernetes-validate --strict (Kubernetes {K8S_VERSION}): {what}", r.returncode == 0, r.stdout + r.stderr)


def check_config(toml_text, what):
    bin_dir = os.environ.get("HOLDFAST_BIN_DIR") or ""
    daemon = os.path.join(bin_dir, "holdfastd")
    if not os.access(daemon, os.X_OK):
        check(f"holdfastd --check-config: {what}", False, f"no holdfastd in HOLDFAST_BIN_DIR={bin_dir!r}")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(toml_text)
        path = f.name
    try:
        r = run([daemon, "--check-config", "--config", path])
        check(f"holdfastd --check-config: {what}", r.returncode == 0, r.stdout + r.stderr)
    finally:
        os.unlink(path)


def objects_of(docs):
    by_kind = {}
    for doc in docs:
        if doc:
            by_kind.setdefault(doc["kind"], []).append(doc)
    return by_kind


def check_objects(by_kind, what):
    """The node-local cache's invariants, on one rendering (the base files or kustomize's output)."""
    daemonsets = by_kind.get("DaemonSet", [])
    configmaps = by_kind.get("ConfigMap", [])
    if not (len(daemonsets) == 1 and len(configmaps) == 1):
        check(f"{what}: one DaemonSet and one ConfigMap", False, f"found {len(daemonsets)} and {len(configmaps)}")
        return
    ds, cm = daemonsets[0], configmaps[0]
    try:
        config = tomllib.loads(cm["data"]["holdfast.toml"])
    except Exception as e:  # a TOML error: the rest cannot be checked
        check(f"{what}: the ConfigMap's holdfast.toml parses", False, e)
        return
    spec = ds["spec"]
    pod = spec["template"]["spec"]
    containers = pod.get("containers", [])
    inits = pod.get("initContainers", [])
    main = next((c for c in containers if c["name"] == "holdfast"), None)
    if main is None:
        check(f"{what}: a container named holdfast", False)
        return

    check(f"{what}: hostNetwork, dnsPolicy Default, priorityClassName system-node-critical",
          pod.get("hostNetwork") is True and pod.get("dnsPolicy") == "Default"
          and pod.get("priorityClassName") == "system-node-critical")
    rolling = spec.get("updateStrategy", {})
    check(f"{what}: RollingUpdate with maxSurge 1, maxUnavailable 0",
          rolling.get("type") == "RollingUpdate"
          and rolling.get("rollingUpdate", {}).get("maxSurge") == 1
          and rolling.get("rollingUpdate", {}).get("maxUnavailable") == 0, rolling)
    with_ports = [c["name"] for c in containers + inits if c.get("ports")]
    check(f"{what}: no container declares ports (host ports would keep the surge pod Pending)",
          not with_ports, f"containers with ports: {with_ports}")

    socket = config.get("control", {}).get("socket", "/run/holdfast/control.sock")
    socket_dir = os.path.dirname(socket)
    for probe, verb in (("livenessProbe", "live"), ("readinessProbe", "ready")):
        command = (main.get(probe) or {}).get("exec", {}).get("command")
        check(f"{what}: {probe} is `holdfastctl --socket {socket} probe {verb}`",
              command == ["holdfastctl", "--socket", socket, "probe", verb], command)
    probes_text = yaml.safe_dump({k: main.get(k) for k in ("livenessProbe", "readinessProbe", "startupProbe")})
    check(f"{what}: no probe uses /health or an HTTP/TCP port", "health" not in probes_text
          and "httpGet" not in probes_text and "tcpSocket" not in probes_text, probes_text)
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    socket_mount = next((m for m in main.get("volumeMounts", []) if m["mountPath"] == socket_dir), None)
    check(f"{what}: the control socket's directory {socket_dir} is the pod's own emptyDir",
          socket_mount is not None and "emptyDir" in volumes.get(socket_mount["name"], {}), socket_mount)
    config_mount = next((m for m in main.get("volumeMounts", []) if m["mountPath"] == "/etc/holdfast"), None)
    check(f"{what}: the ConfigMap {cm['metadata']['name']} is mounted at /etc/holdfast",
          config_mount is not None
          and volumes.get(config_mount["name"], {}).get("configMap", {}).get("name") == cm["metadata"]["name"])

    listen = config.get("server", {}).get("listen", [])
    addresses = {re.sub(r":\d+$", "", a) for a in listen}
    init_script = "\n".join(" ".join(c.get("command", []) + c.get("args", [])) for c in inits)
    check(f"{what}: the init container puts every listen address ({', '.join(sorted(addresses))}) on the dummy interface",
          bool(addresses) and all(f"ip addr replace {a}/32" in init_script for a in addresses)
          and "type dummy" in init_script and "ip link show" in init_script, init_script)
    check(f"{what}: listen is link-local 169.254.20.10:53, not the cluster DNS address",
          listen == ["169.254.20.10:53"], listen)

    def caps(c):
        sc = c.get("securityContext", {})
        return sc.get("capabilities", {}).get("drop"), sc.get("capabilities", {}).get("add"), sc

    drop, add, sc = caps(main)
    check(f"{what}: holdfast runs non-root (UID 953) with only NET_BIND_SERVICE, no privilege escalation",
          drop == ["ALL"] and add == ["NET_BIND_SERVICE"] and sc.get("runAsNonRoot") is True
          and sc.get("runAsUser") == 953 and sc.get("allowPrivilegeEscalation") is False
          and not sc.get("privileged"), sc)
    for c in inits:
        drop, add, sc = caps(c)
        check(f"{what}: init container {c['name']} has only NET_ADMIN, not privileged",
              drop == ["ALL"] and add == ["NET_ADMIN"] and not sc.get("privileged"), sc)

    entries, in_flight, mib = expected_memory_mib(config)
    resources = main.get("resources", {})
    request = memory_bytes(resources.get("requests", {}).get("memory"))
    limit = memory_bytes(resources.get("limits", {}).get("memory"))
    check(f"{what}: memory request = limit = {mib}Mi, from max_entries {entries} and max_in_flight {in_flight}",
          request == limit == mib * 1024**2, resources)
    check(f"{what}: no CPU limit (throttling a DNS cache adds latency)",
          "cpu" not in resources.get("limits", {}), resources)

    metrics = config.get("control", {}).get("metrics_listen", "")
    annotations = spec["template"]["metadata"].get("annotations", {})
    check(f"{what}: prometheus.io annotations scrape metrics_listen {metrics!r}",
          bool(metrics) and annotations.get("prometheus.io/scrape") == "true"
          and annotations.get("prometheus.io/port") == metrics.rsplit(":", 1)[-1]
          and annotations.get("prometheus.io/path") == "/metrics", annotations)

    providers = {p["name"]: p for p in config.get("upstream", {}).get("provider", [])}
    routes = config.get("route", [])
    cluster_route = next((r for r in routes if {"cluster.local", "in-addr.arpa", "ip6.arpa"} <= set(r["domains"])), None)
    cluster_ok = cluster_route is not None and all(
        providers.get(p, {}).get("transport") == "tcp" for p in cluster_route["providers"])
    check(f"{what}: cluster.local, in-addr.arpa, ip6.arpa routed to providers with transport \"tcp\"",
          cluster_ok, routes)
    routed = {p for r in routes for p in r["providers"]}
    check(f"{what}: a provider no route claims serves every other name", bool(set(providers) - routed), providers)
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check(f"{what}: terminationGracePeriodSeconds ({grace}) leaves room for the 3 s drain and the cache snapshot",
          grace >= 10)
    check(f"{what}: tolerates every taint", {"operator": "Exists"} in pod.get("tolerations", []))


def main():
    files = yaml_files(BASE) + yaml_files(OVERLAY)
    manifests = [f for f in files if os.path.basename(f) != "kustomization.yaml"]

    r = run([sys.executable, "-m", "yamllint", "--strict", "-d",
             "{extends: default, rules: {line-length: {max: 120}, document-start: disable}}", *files])
    check(f"yamllint: {len(files)} files under deploy/kubernetes and deploy/overlays/example", r.returncode == 0, r.stdout + r.stderr)

    for path in manifests:
        kubernetes_validate([path], rel(path))

    docs = []
    for path in manifests:
        with open(path) as f:
            docs += list(yaml.safe_load_all(f))
    check_objects(objects_of(docs), "base files")

    cm = objects_of(docs).get("ConfigMap", [{}])[0]
    check_config(cm.get("data", {}).get("holdfast.toml", ""), "the ConfigMap's holdfast.toml")
    overlay_toml = os.path.join(OVERLAY, "holdfast.toml")
    with open(overlay_toml) as f:
        check_config(f.read(), rel(overlay_toml))

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("note: kubectl not installed: kustomize renderings not checked")
    else:
        for root, what in ((BASE, "kustomize base"), (OVERLAY, "kustomize overlays/example")):
            r = run([kubectl, "kustomize", root])
            check(f"kubectl kustomize {rel(root)}", r.returncode == 0, r.stderr)
            if r.returncode != 0:
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(r.stdout)
                rendered = f.name
            try:
                kubernetes_validate([rendered], f"{what}, rendered")
            finally:
                os.unlink(rendered)
            objs = objects_of(yaml.safe_load_all(r.stdout))
            check_objects(objs, what)
            everything = [o for kind in objs.values() for o in kind]
            check(f"{what}: every object in kube-system",
                  all(o["metadata"].get("namespace") == "kube-system" for o in everything))
            ds = objs["DaemonSet"][0]["spec"]["template"]["spec"]
            images = {c["image"] for c in ds["containers"] + ds.get("initContainers", [])}
            if root == BASE:
                check(f"{what}: the image is holdfast:VERSION from `make image` (debian/changelog)",
                      images == {f"holdfast:{package_version()}"}, images)
            else:
                overlay_cm = objs["ConfigMap"][0]
                with open(overlay_toml) as f:
                    check(f"{what}: the overlay's holdfast.toml replaces the base's",
                          overlay_cm["data"]["holdfast.toml"] == f.read(), overlay_cm["metadata"])
                check(f"{what}: the overlay's image is used by both containers", len(images) == 1
                      and not images <= {f"holdfast:{package_version()}"}, images)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def package_version():
    with open(os.path.join(REPO, "debian", "changelog")) as f:
        return re.match(r"\S+ \(([^)]+)\)", f.readline()).group(1)


if __name__ == "__main__":
    sys.exit(main())
