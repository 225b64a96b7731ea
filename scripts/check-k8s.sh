#!/usr/bin/env bash
# Validates the Kubernetes manifests offline (no cluster, no network once the tools are
# installed):
#   1. installs what is missing: kubectl (Debian's kubernetes-client) and, in a venv
#      under .build/k8s-tools, kubernetes-validate and yamllint from PyPI;
#   2. renders every kustomization (k8s/ and k8s/jobs/teacher/) with `kubectl kustomize`;
#   3. checks each rendered document (scripts/check_k8s_manifests.py): built-in kinds
#      strictly against the Kubernetes 1.32 schemas, custom resources against
#      k8s/schemas/, and fails any document whose kind has no schema;
#   4. lints the sources under k8s/ with yamllint.
#
# Usage: scripts/check-k8s.sh              all of the above
#        scripts/check-k8s.sh FILE...      step 3 only, on rendered manifest files
#        scripts/check-k8s.sh --render     prints the rendered manifests of k8s/
# Exit status: 0 valid, 1 invalid, 2 usage error or a tool that cannot be installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kubernetes_version=1.32
kustomizations=(k8s k8s/jobs/teacher)
tools="$root/.build/k8s-tools"

fail_setup() { echo "check-k8s: $*" >&2; exit 2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    echo "check-k8s: installing $* (Debian)" >&2
    as_root apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_kubectl() {
    command -v kubectl >/dev/null || apt_install kubernetes-client
    command -v kubectl >/dev/null || fail_setup "kubectl is missing and could not be installed"
}

ensure_python_tools() {
    if [ -x "$tools/bin/kubernetes-validate" ] && [ -x "$tools/bin/yamllint" ]; then return; fi
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        apt_install python3-venv
    fi
    rm -rf "$tools"
    python3 -m venv "$tools" || fail_setup "cannot create a Python venv at $tools"
    echo "check-k8s: installing kubernetes-validate and yamllint (PyPI) into $tools" >&2
    "$tools/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate yamllint \
        || fail_setup "cannot install kubernetes-validate and yamllint from PyPI"
}

check_files() {
    "$tools/bin/python" "$root/scripts/check_k8s_manifests.py" \
        --schemas "$root/k8s/schemas" --kubernetes-version "$kubernetes_version" "$@"
}

render() {
    # kubectl 1.20 (Debian 12) renders without a kubeconfig; newer ones too.
    kubectl kustomize "$root/$1"
}

case "${1:-}" in
    --render)
        [ $# -eq 1 ] || fail_setup "usage: scripts/check-k8s.sh --render"
        ensure_kubectl
        render k8s
        exit 0
        ;;
    -*)
        fail_setup "unknown option $1 (usage: scripts/check-k8s.sh [--render | FILE...])"
        ;;
esac

ensure_python_tools
if [ $# -gt 0 ]; then
    check_files "$@"
    exit
fi

ensure_kubectl
rendered="$root/.build/k8s-rendered"
rm -rf "$rendered"
mkdir -p "$rendered"
files=()
for kustomization in "${kustomizations[@]}"; do
    file="$rendered/$(echo "$kustomization" | tr / -).yaml"
    render "$kustomization" > "$file" || { echo "check-k8s: kubectl kustomize $kustomization failed" >&2; exit 1; }
    files+=("$file")
done

status=0
check_files "${files[@]}" || status=1
echo "yamllint k8s/"
"$tools/bin/yamllint" --strict -c "$root/k8s/.yamllint" "$root/k8s" || status=1
if [ $status -eq 0 ]; then echo "check-k8s: manifests valid"; else echo "check-k8s: manifests INVALID"; fi
exit $status
