#!/usr/bin/env bash
# Scale benchmark: the cloudera-style configuration of bench/scale/main.orch at N nodes, through
# `orch validate`, `orch plan` against build/fake_ec2 + build/fake_chef + a real etcd on loopback
# (a first plan, then a re-plan with all N nodes existing), and `orch apply -simulate`. Prints
# wall time, peak RSS, per-node costs and the growth between sizes.
#   bench/scale.sh [--sizes 1000,5000,20000] [--seed 1] [--keep]
#   SCALE_PERF=seed bench/scale.sh --sizes 5000 --keep   # profile one step (perf report -i ...)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sizes=1000,5000,20000
seed=1
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: bench/scale.sh [--sizes 1000,5000,20000] [--seed 1] [--keep]" >&2; exit 2 ;;
  esac
done

need=()
for t in orch fake_ec2 fake_chef; do [ -x "build/$t" ] || need+=(--target "$([ $t = orch ] && echo orch_cli || echo $t)"); done
if [ ${#need[@]} -gt 0 ]; then ./scripts/build.sh "${need[@]}" >/dev/null; fi
command -v etcd >/dev/null || { echo "etcd not found (apt-get install etcd-server)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not found (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d /tmp/orch-scale.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ $keep = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the three servers afresh (each size gets empty fakes and an empty etcd).
start_servers() {
  local d=$1
  mkdir -p "$d"
  build/fake_ec2 --key AKIDSCALE:scale-secret --pending-ms 0 --visibility-ms 0 >"$d/ec2.out" 2>&1 &
  pids+=($!)
  build/fake_chef --client "orch-ci=$root/tests/testdata/chef/test_client.pub" \
    --port-file "$d/chef.port" >"$d/chef.out" 2>&1 &
  pids+=($!)
  local cport pport
  cport=$(free_port); pport=$(free_port)
  etcd --name scale --data-dir "$d/etcd" --listen-client-urls "http://127.0.0.1:$cport" \
    --advertise-client-urls "http://127.0.0.1:$cport" --listen-peer-urls "http://127.0.0.1:$pport" \
    --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
    --initial-cluster "scale=http://127.0.0.1:$pport" >"$d/etcd.out" 2>&1 &
  pids+=($!)
  ec2_url=""; chef_port=""
  for _ in $(seq 200); do
    [ -z "$ec2_url" ] && ec2_url=$(sed -n 's/^listening on //p' "$d/ec2.out")
    [ -z "$chef_port" ] && [ -s "$d/chef.port" ] && chef_port=$(head -1 "$d/chef.port")
    if [ -n "$ec2_url" ] && [ -n "$chef_port" ] && curl -sf "http://127.0.0.1:$cport/health" >/dev/null; then
      break
    fi
    sleep 0.1
  done
  [ -n "$ec2_url" ] && [ -n "$chef_port" ] || { echo "the fakes did not start (see $d)" >&2; exit 1; }
  curl -sf "http://127.0.0.1:$cport/health" >/dev/null || { echo "etcd did not start (see $d)" >&2; exit 1; }
  etcd_url="http://127.0.0.1:$cport"
}

# Requests a fake has served so far (its /_fake/stats, which does not count itself).
requests() { curl -sf "$1/_fake/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])'; }

stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# measure NAME DIR ARGS...: runs build/orch ARGS in DIR under /usr/bin/time; records
# "NAME wall_s peak_kib user_s sys_s" in $work/results and keeps the output in $work/NAME.log.
measure() {
  local name=$1 dir=$2; shift 2
  local rc=0 wrap=()
  # SCALE_PERF=STEP (validate, plan, seed, replan, simulate): that step under perf record, for
  # finding where the time goes (its numbers then include perf's overhead; use with --keep).
  if [ -n "${SCALE_PERF:-}" ] && [ "${name%%.*}" = "$SCALE_PERF" ]; then
    wrap=(perf record -q -F 50 --call-graph dwarf,16384 -o "$work/$name.perf")
  fi
  (cd "$dir" && /usr/bin/time -f '%e %M %U %S' -o "$work/$name.time" "${wrap[@]}" "$root/build/orch" "$@" \
     >"$work/$name.log" 2>&1) || rc=$?
  # plan -detailed-exitcode is not used: 0 is the only success.
  if [ $rc != 0 ]; then
    echo "orch $* failed in $dir (exit $rc):" >&2
    tail -20 "$work/$name.log" >&2
    exit 1
  fi
  echo "$name $(tail -1 "$work/$name.time")" >>"$work/results"
}

export NO_COLOR=1 AWS_ACCESS_KEY_ID=AKIDSCALE AWS_SECRET_ACCESS_KEY=scale-secret
export AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent HOME="$work"
: >"$work/results"
IFS=, read -ra ns <<<"$sizes"
for n in "${ns[@]}"; do
  echo "N = $n ..." >&2
  cfg="$work/n$n/cfg"
  mkdir -p "$cfg"
  cp bench/scale/main.orch "$cfg/"
  start_servers "$work/n$n/servers"
  export ORCH_STACK="scale$n"
  vars=(-var "nodes=$n" -var "ec2_endpoint=$ec2_url"
        -var "chef_url=http://127.0.0.1:$chef_port/organizations/orch"
        -var "chef_key_file=$root/tests/testdata/chef/test_client.pem"
        -var "etcd_endpoints=[\"$etcd_url\"]")

  measure "validate.$n" "$cfg" validate
  measure "plan.$n" "$cfg" plan -no-color "${vars[@]}"
  grep -q "Plan: $((2 * n + 2 + (n + 99) / 100)) to add, 0 to change, 0 to destroy" "$work/plan.$n.log" ||
    { echo "unexpected first plan:" >&2; grep "Plan:" "$work/plan.$n.log" >&2; exit 1; }

  # Seeding: the instances, the election and the Chef nodes applied for real against the fakes
  # (no latency, instances running at once), so that they exist there and in the state.
  measure "seed.$n" "$cfg" apply -auto-approve -no-color -target chef_node.member "${vars[@]}"
  # The election ran when the first instance was up and recorded the candidates known then; a
  # second targeted apply completes them, so that the re-plan below changes nothing that exists.
  measure "seed2.$n" "$cfg" apply -auto-approve -no-color -target etcd_election.master "${vars[@]}"
  ec2_before=$(requests "$ec2_url"); chef_before=$(requests "http://127.0.0.1:$chef_port")
  measure "replan.$n" "$cfg" plan -no-color "${vars[@]}"
  echo "requests.$n $(($(requests "$ec2_url") - ec2_before))" \
    "$(($(requests "http://127.0.0.1:$chef_port") - chef_before))" >>"$work/results"
  grep -q "Plan: $((1 + (n + 99) / 100)) to add, 0 to change, 0 to destroy" "$work/replan.$n.log" ||
    { echo "unexpected re-plan:" >&2; grep "Plan:" "$work/replan.$n.log" >&2; exit 1; }
  stop_servers

  sim="$work/n$n/sim"
  mkdir -p "$sim" && cp bench/scale/main.orch "$sim/"
  measure "simulate.$n" "$sim" apply -simulate -simulate-seed "$seed" -auto-approve -no-color \
    -var "nodes=$n"
  makespan=$(sed -n 's/.*Simulated makespan: \([^ ]*\).*/\1/p' "$work/simulate.$n.log" | head -1)
  echo "makespan.$n $makespan" >>"$work/results"
  rm -rf "$work/n$n"
done

python3 - "$work/results" "$sizes" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    k, *v = line.split()
    rows[k] = v
sizes = [int(s) for s in sys.argv[2].split(",")]
steps = [("validate", "orch validate"), ("plan", "orch plan (nothing exists)"),
         ("replan", "orch plan (all N exist: refresh)"), ("simulate", "orch apply -simulate"),
         ("seed", "(seeding: apply -target chef_node.member)"),
         ("seed2", "(seeding: apply -target etcd_election.master)")]
print("cloudera-style configuration (bench/scale/main.orch): N ec2_instance + N chef_node +"
      " etcd_election + master converge (gated) + N/100 rack converges (canary + 50% batches)")
print()
print("CPU = user + system time of orch; on a loaded machine it is steadier than wall time.")
print("x CPU / x RSS: growth from the previous size (linear growth = the size ratio below).")
print()
print(f"{'step':44} {'N':>6} {'wall s':>7} {'CPU s':>7} {'peak MiB':>8} {'CPU us/node':>11}"
      f" {'wall us/node':>12} {'KiB/node':>8} {'x CPU':>6} {'x RSS':>6}")
print("-" * 123)
for key, label in steps:
    prev = None
    for n in sizes:
        r = rows[f"{key}.{n}"]
        wall, kib, cpu = float(r[0]), int(r[1]), float(r[2]) + float(r[3])
        grow = ""
        if prev:
            # Below 20 ms of CPU the ratio is measurement noise.
            xcpu = f"{cpu / prev[0]:6.1f}" if min(cpu, prev[0]) >= 0.02 else f"{'-':>6}"
            grow = f"{xcpu} {kib / prev[1]:6.1f}"
        print(f"{label:44} {n:>6} {wall:7.2f} {cpu:7.2f} {kib / 1024:8.0f} {cpu * 1e6 / n:11.0f}"
              f" {wall * 1e6 / n:12.0f} {kib / n:8.1f} {grow}")
        prev = (cpu, kib)
    print()
for i, n in enumerate(sizes):
    if i:
        print(f"size growth {sizes[i-1]} -> {n}: x{n / sizes[i-1]:.1f}")
print()
print("requests of the re-plan (fake_ec2, fake_chef):",
      ", ".join(f"N={n}: {rows[f'requests.{n}'][0]} + {rows[f'requests.{n}'][1]}" for n in sizes))
print("simulated makespan (virtual clock):",
      ", ".join(f"N={n}: {rows[f'makespan.{n}'][0]}" for n in sizes))
EOF
