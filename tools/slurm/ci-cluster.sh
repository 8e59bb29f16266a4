#!/usr/bin/env bash
# Start a one-node Slurm cluster on this machine (for CI): munge, slurmctld and slurmd
# from Debian's packages (slurm-wlm, munge), no accounting database and no cgroups.
# Idempotent: stops an earlier cluster it started first. Needs root.
set -euo pipefail
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
CONF=/etc/slurm/slurm.conf
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
# munge: a key, then the daemon as the munge user.
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
pkill -x slurmd 2>/dev/null || true
pkill -x slurmctld 2>/dev/null || true
if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged
fi
munge -n | unmunge >/dev/null
cat > "$CONF" <<CONF
ClusterName=floodrill-ci
SlurmctldHost=$HOST
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
rm -f /var/spool/slurmctld/* 2>/dev/null || true
slurmctld
slurmd
# Wait for the node to come up idle.
for _ in $(seq 1 60); do
    STATE=$(sinfo -h -n "$HOST" -o '%t' 2>/dev/null || true)
    case "$STATE" in
        idle*|mix*|alloc*) echo "slurm: node $HOST $STATE ($CPUS CPUs, $MEM MB)"; exit 0 ;;
    esac
    sleep 1
done
echo "slurm: the node did not come up; sinfo says '${STATE:-nothing}'" >&2
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
