#!/usr/bin/env bash
# The main job on the bundled examples, on a throw-away copy so that the repository stays clean:
# send testers to build 2 of api-domain by header, then 20% of everyone by weight, showing the
# routing after each step.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R examples/manifests "$work/"
istiops() {
  echo "\$ istiops $*" | sed "s#$work/##g"
  node dist/istiops.cjs "$@"
  echo
}
build2=(-l app=api-domain -d api-domain:5000 -b 2 -p app=api-domain,build=2)
istiops traffic show --manifests "$work/manifests" -l app=api-domain
istiops traffic shift --manifests "$work/manifests" "${build2[@]}" -H x-cid=seu_madruga
istiops traffic show --manifests "$work/manifests" -l app=api-domain
istiops traffic shift --manifests "$work/manifests" "${build2[@]}" -w 20
istiops traffic show --manifests "$work/manifests" -l app=api-domain
