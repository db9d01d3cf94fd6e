#!/usr/bin/env python3
"""Generates a large orch configuration for benchmarks (deterministic for given arguments).

Two shapes:

blocks (default): 2,000 resource blocks over 20 files (1,000 sim_machine blocks with count = 10
and 1,000 sim_task blocks with for_each over 10 keys), i.e. 20,000 expanded instances, plus
variables, locals, a provider block and outputs. Tasks refer to machines through splats, so the
references look like real configurations.

cluster: the bring-up of DESIGN.md at scale (bench/plan_bench's input): MACHINES sim_machine
instances (one counted block, boot times spread over 30-50 s), an election won by the first
machine up (depends_on = [any(...)]), and MACHINES sim_task instances, each on its own machine
and told the elected master (a value known only after apply, so apply evaluates every task
again). With --blocks N the machines and tasks are split over N blocks of each kind instead.

    bench/gen_config.py OUT_DIR [--blocks 2000] [--per-block 10] [--files 20]
    bench/gen_config.py OUT_DIR --shape cluster [--machines 20000] [--blocks 1]
"""
import argparse
import os


def machine(i, per_block):
    return f'''resource "sim_machine" "m{i:04d}" {{
  count     = {per_block}
  name      = "m{i:04d}-${{count.index}}"
  image     = var.image
  size      = count.index == 0 ? "large" : local.default_size
  boot_time = "{20 + i % 40}s"
  tags = {{
    group = "g{i % 16}"
    index = tostring(count.index)
    owner = local.owner
  }}
}}
'''


def task(i, per_block, machines):
    target = i % machines
    keys = ", ".join(f'"k{k}"' for k in range(per_block))
    return f'''resource "sim_task" "t{i:04d}" {{
  for_each = toset([{keys}])
  on       = [sim_machine.m{target:04d}[0].private_dns]
  command  = "deploy --key ${{each.key}} --group g{i % 16}"
  duration = "{10 + i % 50}s"
  triggers = {{
    image = var.image
    key   = each.key
  }}
  depends_on = [any(sim_machine.m{target:04d})]
}}
'''


HEADER = '''provider "sim" {
  seed = 1
}

variable "image" {
  type    = string
  default = "debian-12"
}

locals {
  default_size = "small"
  owner        = "bench"
}
'''


def cluster_blocks(machines, blocks):
    """The cluster shape: machine blocks, one election over all of them, task blocks."""
    per = (machines + blocks - 1) // blocks
    sizes = [min(per, machines - b * per) for b in range(blocks) if machines - b * per > 0]
    names = [f"node{b:03d}" if blocks > 1 else "node" for b in range(len(sizes))]
    out = []
    for name, n in zip(names, sizes):
        out.append(f'''resource "sim_machine" "{name}" {{
  count     = {n}
  name      = "{name}-${{count.index}}"
  image     = var.image
  size      = local.default_size
  boot_time = "${{30 + (count.index * 7) % 21}}s"
  tags = {{
    cluster = "bench"
    owner   = local.owner
  }}
}}
''')
    candidates = f"sim_machine.{names[0]}[*].private_dns"
    if len(names) > 1:
        candidates = "concat(" + ", ".join(f"sim_machine.{n}[*].private_dns" for n in names) + ")"
    anys = ", ".join(f"any(sim_machine.{n})" for n in names)
    if len(names) > 1:
        # One any-of group per block would need every block; the first block stands for all.
        anys = f"any(sim_machine.{names[0]})"
    out.append(f'''resource "sim_election" "master" {{
  name       = "bench/master"
  candidates = {candidates}
  depends_on = [{anys}]
}}
''')
    for name, n in zip(names, sizes):
        task_name = name.replace("node", "setup")
        out.append(f'''resource "sim_task" "{task_name}" {{
  count    = {n}
  on       = [sim_machine.{name}[count.index].private_dns]
  command  = "setup --master=${{sim_election.master.leader}}"
  duration = "${{20 + (count.index * 13) % 21}}s"
}}
''')
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--shape", choices=["blocks", "cluster"], default="blocks")
    ap.add_argument("--blocks", type=int, default=None,
                    help="resource blocks in total (blocks: default 2000; cluster: blocks of "
                         "each kind, default 1)")
    ap.add_argument("--per-block", type=int, default=10, help="instances per block (blocks)")
    ap.add_argument("--machines", type=int, default=20000, help="machines and tasks (cluster)")
    ap.add_argument("--files", type=int, default=20, help="number of .orch files")
    args = ap.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    for name in os.listdir(args.out_dir):
        if name.endswith(".orch"):
            os.remove(os.path.join(args.out_dir, name))

    if args.shape == "cluster":
        blocks = cluster_blocks(args.machines, args.blocks or 1)
        header = HEADER + '''
output "master" {
  value = sim_election.master.leader
}
'''
        total = 2 * args.machines + 1
    else:
        nblocks = args.blocks or 2000
        machines = nblocks // 2
        tasks = nblocks - machines
        blocks = [machine(i, args.per_block) for i in range(machines)]
        blocks += [task(i, args.per_block, machines) for i in range(tasks)]
        header = HEADER + '''
output "machine_count" {
  value = length(sim_machine.m0000)
}
'''
        total = len(blocks) * args.per_block

    with open(os.path.join(args.out_dir, "main.orch"), "w") as f:
        f.write(header)
    files = max(1, min(args.files, len(blocks)))
    per_file = (len(blocks) + files - 1) // files
    for n in range(files):
        chunk = blocks[n * per_file:(n + 1) * per_file]
        if not chunk:
            break
        with open(os.path.join(args.out_dir, f"part{n:03d}.orch"), "w") as f:
            f.write("\n".join(chunk))
    print(f"{args.out_dir}: {len(blocks)} resource blocks, {total} instances")


if __name__ == "__main__":
    main()
