#!/usr/bin/env bash
# Stops the daemons started by tools/slurm/setup-single-node.sh (slurmd, slurmctld, munged).
# Leaves the packages, slurm.conf and the spool directories in place (set-up again is then quick).
set -euo pipefail
RUNDIR=/run/varshare-slurm
say() { printf 'slurm-teardown: %s\n' "$*"; }
stop() {
  local name=$1 f=$2
  if [[ -s "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null; then
    local pid; pid=$(cat "$f")
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || { say "stopped $name (pid $pid)"; return 0; }; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    say "killed $name (pid $pid)"
  else
    say "$name not running"
  fi
}
stop slurmd "$RUNDIR/slurmd.pid"
stop slurmctld "$RUNDIR/slurmctld.pid"
stop munged /run/munge/munged.pid
