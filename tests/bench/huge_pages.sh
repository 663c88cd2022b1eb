# Sourced by run_bench.sh: puts the dev warehouse's shared memory on huge pages when the
# benchmark started the warehouse itself and runs as root.
#
# Why: with 4 KiB pages every new PostgreSQL backend takes a page fault for each shared buffer
# it touches first. On this VM that kept a fresh server connection at a fraction of its speed
# for its first seconds, so a pgbench run through a proxy that opens a server connection per
# client (direct, Blueshift, PgBouncer after KILL) measured the backends' warm-up, which a
# pooler's warm connections skip, more than the proxy. Redshift sessions are not forked
# PostgreSQL backends; huge pages take this artefact of the stand-in out of the comparison.

HP_SYSCTL=/proc/sys/vm/nr_hugepages
HP_RESTORE=""   # nr_hugepages to put back at exit, when we raised it
HUGE_NOTE=""

# 0 when a process of the running warehouse maps 2 MiB pages (its checkpointer outlives queries).
warehouse_on_huge_pages() {
  local pid
  pid="$(su_sql -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && grep -q '^KernelPageSize: *2048 kB' "/proc/$pid/smaps" 2>/dev/null
}

# Reserves the huge pages the warehouse asks for and restarts it on them; sets HUGE_NOTE.
use_huge_pages() {
  local need total free
  need="$(su_sql -d postgres -c 'SHOW shared_memory_size_in_huge_pages')" || need=""
  if [[ ! "$need" =~ ^[0-9]+$ || "$need" -le 0 ]]; then HUGE_NOTE="4 KiB pages (no huge page size)"; return; fi
  if [[ ! -w $HP_SYSCTL ]]; then HUGE_NOTE="4 KiB pages (cannot reserve huge pages as $(id -un))"; return; fi
  total="$(<"$HP_SYSCTL")"
  free="$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)"
  if (( free < need )); then
    HP_RESTORE="$total"
    echo $((total + need - free)) >"$HP_SYSCTL"
  fi
  "$WAREHOUSE" stop >/dev/null && "$WAREHOUSE" start >/dev/null
  if warehouse_on_huge_pages; then
    HUGE_NOTE="shared memory on 2 MiB pages ($need reserved)"
  else
    HUGE_NOTE="4 KiB pages (the kernel did not give $need huge pages)"
  fi
}

# Gives back the pages we reserved; after the warehouse has stopped.
restore_huge_pages() {
  if [[ -n "$HP_RESTORE" ]]; then echo "$HP_RESTORE" >"$HP_SYSCTL" || true; fi
}

# The warehouse's page size for the summary, when we leave it as it is.
describe_huge_pages() {
  if warehouse_on_huge_pages; then HUGE_NOTE="shared memory on 2 MiB pages (warehouse was already up)"
  else HUGE_NOTE="4 KiB pages (warehouse was already up: not restarted)"; fi
}
