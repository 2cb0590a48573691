#!/usr/bin/env bash
# Installs Debian's slurm-wlm + munge (if missing) and starts munged, slurmctld
# and slurmd on 127.0.0.1 with one node (this machine) and one partition, so
# the Slurm example (examples/slurm) runs in a test. Needs root. Idempotent: daemons
# already running are left alone. State, logs and pid files go under
# $SLURM_SCRATCH (default /tmp/cellfolio-slurm); stop with `slurm-setup.sh stop`.
set -euo pipefail
SCRATCH="${SLURM_SCRATCH:-/tmp/cellfolio-slurm}"
CONF=/etc/slurm/slurm.conf

stop() {
  for f in "$SCRATCH/slurmd.pid" "$SCRATCH/slurmctld.pid" "$SCRATCH/munged.pid"; do
    if [ -s "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; fi
  done
}
if [ "${1:-}" = stop ]; then stop; exit 0; fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q slurm-wlm munge >/dev/null; }
fi

# munge: a 1024-byte key owned by munge, the daemon run as munge.
mkdir -p "$SCRATCH" /etc/munge /var/log/munge /var/lib/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then head -c 1024 /dev/urandom >/etc/munge/munge.key; fi
chown -R munge:munge /etc/munge /var/log/munge /var/lib/munge /run/munge
chmod 400 /etc/munge/munge.key
chmod 700 /etc/munge
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- munged
  sleep 0.5
  cp /run/munge/munged.pid "$SCRATCH/munged.pid" 2>/dev/null || pgrep -u munge -x munged >"$SCRATCH/munged.pid" || true
fi
munge -n | unmunge >/dev/null

HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
mkdir -p "$SCRATCH/state" "$SCRATCH/spool" /etc/slurm
cat >"$CONF" <<CONF
ClusterName=cellfolio
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$SCRATCH/state
SlurmdSpoolDir=$SCRATCH/spool
SlurmctldLogFile=$SCRATCH/slurmctld.log
SlurmdLogFile=$SCRATCH/slurmd.log
SlurmctldPidFile=$SCRATCH/slurmctld.pid
SlurmdPidFile=$SCRATCH/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
CONF

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
running "$SCRATCH/slurmctld.pid" || slurmctld
running "$SCRATCH/slurmd.pid" || slurmd
for _ in $(seq 1 60); do
  if sinfo -h -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then exit 0; fi
  sleep 0.5
done
echo "slurm-setup: the node did not come up; see $SCRATCH/slurmctld.log and $SCRATCH/slurmd.log" >&2
sinfo >&2 || true
exit 1
