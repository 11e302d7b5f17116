#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine (localhost) for the trainer's Slurm test
# (apps/trainer/test/slurm.test.ts): munge + slurmctld + slurmd from Debian's slurm-wlm and munge
# packages, a minimal slurm.conf written here, no cgroups (ProctrackType=proctrack/linuxproc,
# TaskPlugin=task/none), no accounting database. Runs as root; no systemd needed (the daemons are
# started directly). Idempotent: installs only what is missing, starts only what is not running,
# rewrites slurm.conf (and restarts the Slurm daemons) only when its content changes.
# Refuses to overwrite a slurm.conf it did not write unless --force is given.
#
#   bash tools/slurm/setup-single-node.sh [--force]     # then: sinfo; bash tools/slurm/teardown.sh
set -euo pipefail

FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1
say() { printf 'slurm-setup: %s\n' "$*"; }
die() { printf 'slurm-setup: error: %s\n' "$*" >&2; exit 1; }
[[ "$(id -u)" == 0 ]] || die "must run as root (it installs packages and starts daemons)"

CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
MARKER='# written by VarShare tools/slurm/setup-single-node.sh'
SPOOL=/var/spool/varshare-slurm
LOGDIR=/var/log/varshare-slurm
RUNDIR=/run/varshare-slurm
HOST="$(hostname -s)"
CPUS="$(nproc)"
T0=$(date +%s)

# Waits up to $1 seconds for the command "${@:2}" to succeed.
wait_for() {
  local limit=$1; shift
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || return 1
    sleep 0.5
  done
}
pid_alive() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# 1. Packages ---------------------------------------------------------------------------------
missing=()
for cmd in munged slurmctld slurmd sbatch; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
if (( ${#missing[@]} > 0 )); then
  say "installing slurm-wlm munge (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
else
  say "packages present: $(dpkg-query -W -f='${Package} ${Version}, ' slurmctld slurmd slurm-client munge 2>/dev/null | sed 's/, $//')"
fi

# 2. munge ------------------------------------------------------------------------------------
# Debian's munge postinst creates /etc/munge/munge.key; create one if it is absent anyway.
if [[ ! -s /etc/munge/munge.key ]]; then
  say "creating /etc/munge/munge.key"
  mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 0600 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 0755 /run/munge
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "munged already running"
else
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged
  wait_for 10 sh -c 'munge -n | unmunge' || die "munged did not answer (see /var/log/munge/munged.log)"
fi

# 3. slurm.conf -------------------------------------------------------------------------------
install -d -m 0755 "$CONF_DIR" "$SPOOL/ctld" "$SPOOL/d" "$LOGDIR" "$RUNDIR"
new_conf="$(cat <<CONFEOF
$MARKER
ClusterName=varshare
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$SPOOL/ctld
SlurmdSpoolDir=$SPOOL/d
SlurmctldPidFile=$RUNDIR/slurmctld.pid
SlurmdPidFile=$RUNDIR/slurmd.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=300
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONFEOF
)"
conf_changed=0
if [[ -f "$CONF" ]] && [[ "$(cat "$CONF")" == "$new_conf" ]]; then
  say "$CONF up to date (node $HOST, $CPUS CPUs)"
else
  if [[ -f "$CONF" ]] && ! grep -qxF "$MARKER" "$CONF" && (( FORCE == 0 )); then
    die "$CONF exists and was not written by this script; re-run with --force to replace it"
  fi
  say "writing $CONF (node $HOST, $CPUS CPUs, select/cons_tres, proctrack/linuxproc, task/none, no cgroups)"
  printf '%s\n' "$new_conf" > "$CONF"
  conf_changed=1
fi

# 4. Daemons ----------------------------------------------------------------------------------
stop_pidfile() {
  local f=$1
  if pid_alive "$f"; then
    local pid; pid=$(cat "$f")
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}
if (( conf_changed )); then
  stop_pidfile "$RUNDIR/slurmd.pid"
  stop_pidfile "$RUNDIR/slurmctld.pid"
fi
if pid_alive "$RUNDIR/slurmctld.pid"; then
  say "slurmctld already running (pid $(cat "$RUNDIR/slurmctld.pid"))"
else
  say "starting slurmctld"
  /usr/sbin/slurmctld
fi
wait_for 30 scontrol ping || die "slurmctld does not answer; see $LOGDIR/slurmctld.log: $(tail -n 5 "$LOGDIR/slurmctld.log" 2>/dev/null)"
if pid_alive "$RUNDIR/slurmd.pid"; then
  say "slurmd already running (pid $(cat "$RUNDIR/slurmd.pid"))"
else
  say "starting slurmd"
  /usr/sbin/slurmd
fi

# 5. Wait for the node ------------------------------------------------------------------------
node_state() { sinfo -h -n "$HOST" -o '%T' 2>/dev/null | head -n 1; }
node_usable() { local s; s=$(node_state); [[ "$s" == idle* || "$s" == mixed* || "$s" == allocated* ]]; }
if ! wait_for 30 node_usable; then
  # A node left down/drained by an earlier run (e.g. slurmd killed) is put back in service.
  say "node $HOST is '$(node_state)'; resuming it"
  scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
  wait_for 30 node_usable || die "node $HOST is '$(node_state)' (see $LOGDIR/slurmd.log and $LOGDIR/slurmctld.log)"
fi
say "ready in $(( $(date +%s) - T0 )) s:"
sinfo
