#!/usr/bin/env bash
# Quickstart: install what is needed, build, start berthd, make a busybox image from this
# machine's busybox-static, and run a container from it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
unset NODE_EXTRA_CA_CERTS
export PATH="$PWD/bin:$PATH"

sock=/run/berth/berth.sock
pidfile=/run/berth/berthd.pid
if ! berth -H "unix://$sock" version >/dev/null 2>&1; then
  echo "quickstart: starting berthd (log: /var/log/berthd.log)"
  mkdir -p /run/berth
  nohup berthd --pidfile "$pidfile" >>/var/log/berthd.log 2>&1 &
  for _ in $(seq 1 100); do
    berth version >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
berth version

if ! berth image inspect busybox:latest >/dev/null 2>&1; then
  echo "quickstart: making busybox:latest from /bin/busybox"
  rootfs=$(mktemp -d /tmp/berth-busybox.XXXXXX)
  node --import tsx -e "import('./test/helpers/busybox-rootfs.ts').then(m => m.makeBusyboxRootfs(process.argv[1]))" "$rootfs"
  tar -C "$rootfs" -c . | berth import - busybox:latest
  rm -rf "$rootfs"
fi

berth run --rm busybox echo "hello from a berth container"
berth ps -a
berth images
cat <<TXT

berthd is running (pid $(cat "$pidfile")). Try: bin/berth run -it --rm busybox sh
Stop it with: kill \$(cat $pidfile)
TXT
