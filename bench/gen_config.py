#!/usr/bin/env python3
"""Generates a large orch configuration for benchmarks (deterministic for given arguments).

By default: 2,000 resource blocks over 20 files (1,000 sim_machine blocks with count = 10 and
1,000 sim_task blocks with for_each over 10 keys), i.e. 20,000 expanded instances, plus
variables, locals, a provider block and outputs. Tasks refer to machines through splats, so the
references look like real configurations.

    bench/gen_config.py OUT_DIR [--blocks 2000] [--per-block 10] [--files 20]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--blocks", type=int, default=2000, help="resource blocks in total")
    ap.add_argument("--per-block", type=int, default=10, help="instances per block")
    ap.add_argument("--files", type=int, default=20, help="number of .orch files")
    args = ap.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    for name in os.listdir(args.out_dir):
        if name.endswith(".orch"):
            os.remove(os.path.join(args.out_dir, name))

    machines = args.blocks // 2
    tasks = args.blocks - machines
    blocks = [machine(i, args.per_block) for i in range(machines)]
    blocks += [task(i, args.per_block, machines) for i in range(tasks)]

    with open(os.path.join(args.out_dir, "main.orch"), "w") as f:
        f.write('''provider "sim" {
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

output "machine_count" {
  value = length(sim_machine.m0000)
}
''')
    per_file = (len(blocks) + args.files - 1) // args.files
    for n in range(args.files):
        chunk = blocks[n * per_file:(n + 1) * per_file]
        if not chunk:
            break
        with open(os.path.join(args.out_dir, f"part{n:03d}.orch"), "w") as f:
            f.write("\n".join(chunk))
    total = len(blocks) * args.per_block
    print(f"{args.out_dir}: {len(blocks)} resource blocks, {total} instances")


if __name__ == "__main__":
    main()
