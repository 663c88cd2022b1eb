"""The deploy/ files checked structurally (issue 14): every YAML parses; the Kubernetes probes
point at the HTTP endpoint's real paths and port; the ConfigMap's configuration is one that
`blueshift --check-config` accepts (with its mounted files stood in for by temporary ones);
grace periods outlast the drain; systemd reloads with SIGHUP; HAProxy sends PROXY v2 and
checks /readyz; the alerting rules name metrics Blueshift exports.

Usage: python3 deploy_files.py   (needs PyYAML, openssl and $BLUESHIFT_BIN)
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "robustness"))
import pgwire as w  # noqa: E402

try:
    import yaml
except ImportError:
    w.require(False, "PyYAML is missing (Debian: python3-yaml)")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
DEPLOY = os.path.join(ROOT, "deploy")


def read(path):
    with open(os.path.join(DEPLOY, path)) as f:
        return f.read()


def kubernetes():
    docs = {d["kind"]: d for d in yaml.safe_load_all(read("kubernetes/blueshift.yaml")) if d}
    for kind in ("ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"):
        w.check(kind in docs, f"the manifest has no {kind}")
    return docs


def check_config_accepted(config_text):
    """--check-config on the ConfigMap's file, its mounted paths moved to a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        tls = os.path.join(tmp, "tls")
        os.makedirs(tls)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=blueshift",
                        "-keyout", os.path.join(tls, "tls.key"), "-out", os.path.join(tls, "tls.crt"), "-days", "1"],
                       check=True, capture_output=True)
        text = config_text.replace("/etc/blueshift/tls", tls).replace("/var/lib/blueshift", tmp)
        # The catalog is not reachable from here; --check-config reports, it does not wait for it.
        text = re.sub(r"host=\S+ port=\d+", "host=127.0.0.1 port=1", text, count=1)
        path = os.path.join(tmp, "blueshift.yaml")
        with open(path, "w") as f:
            f.write(text)
        out = subprocess.run([w.blueshift_bin(), "--config", path, "--check-config"], capture_output=True, text=True,
                             timeout=60)
        w.check(out.returncode == 0 and "configuration OK" in out.stdout,
                f"--check-config refused the ConfigMap's configuration: {out.stdout} {out.stderr}")


def main():
    docs = kubernetes()
    config_text = docs["ConfigMap"]["data"]["blueshift.yaml"]
    config = yaml.safe_load(config_text)
    check_config_accepted(config_text)

    pod = docs["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    http_port = int(config["http"]["listen"].rsplit(":", 1)[1])
    w.check(ports["http"] == http_port, f"container port http {ports['http']} is not http.listen's {http_port}")
    w.check(ports["postgres"] == int(config["listen"].rsplit(":", 1)[1]), "container port postgres is not listen's")
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        w.check(get["path"] == path, f"{probe} asks {get['path']}, not {path}")
        w.check(get["port"] in ("http", http_port), f"{probe} asks port {get['port']}")
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    grace_ms = pod["terminationGracePeriodSeconds"] * 1000
    w.check(grace_ms > config["drain"]["timeout_ms"] + pause * 1000, "the grace period ends before the drain can")
    service_ports = {p["name"]: p["targetPort"] for p in docs["Service"]["spec"]["ports"]}
    w.check(set(service_ports.values()) <= set(ports), f"the Service targets unknown ports {service_ports}")
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    w.check(os.path.dirname(config["tls"]["cert_file"]) in mounts, "the TLS files are not mounted")
    w.check(pod["securityContext"]["runAsNonRoot"] is True, "the pod may run as root")
    w.check(docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == docs["Deployment"]["metadata"]["name"],
            "the autoscaler scales another Deployment")

    unit = read("systemd/blueshift.service")
    w.check("ExecReload=/bin/kill -HUP $MAINPID" in unit, "systemctl reload does not send SIGHUP")
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M).group(1))
    w.check(stop * 1000 > config["drain"]["timeout_ms"], "systemd kills before the drain can end")
    w.check("NoNewPrivileges=yes" in unit and "DynamicUser=yes" in unit, "the unit lost its hardening")

    docker = read("container/Dockerfile")
    w.check(len(re.findall(r"^FROM ", docker, re.M)) == 2, "the image is not built in two stages")
    w.check(re.search(r"^USER (?!0\b|root\b)", docker, re.M), "the image runs as root")

    haproxy = read("haproxy/haproxy.cfg")
    servers = re.findall(r"^\s*server .*$", haproxy, re.M)
    w.check(servers and all("send-proxy-v2" in s and f"port {http_port}" in s for s in servers),
            "HAProxy servers do not all send PROXY v2 and check the HTTP port")
    w.check("GET /readyz" in haproxy, "HAProxy does not check /readyz")

    yaml.safe_load(read("prometheus/scrape.yml"))
    alerts = yaml.safe_load(read("prometheus/alerts.yml"))
    with open(os.path.join(ROOT, "proxy", "metric_names.h")) as f:
        exported = set(re.findall(r'"(blueshift_[a-z_]+)"', f.read()))
    for rule in alerts["groups"][0]["rules"]:
        for name in re.findall(r"blueshift_[a-z_]+", rule["expr"]):
            w.check(re.sub(r"_bucket$", "", name) in exported, f"alert {rule['alert']} names {name}, not exported")
    print("PASS: deploy_files")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except w.TestFailure as e:
        print(f"FAIL: deploy_files: {e}")
        sys.exit(1)
