#!/usr/bin/env python3
"""orch vs Ansible on the same work: a master, then N workers gated on it; on every host one
command that sleeps a fixed time. Hosts are loopback inventory entries run with Ansible's
`local` connection (its cheapest transport: no SSH on either side); orch runs the same command
per host with `local_command` steps on its real clock. Wall time and CPU (user + system of the
tool and every process it started) per run.

    bench/peer_ansible.py [--sizes 10,100,1000] [--sleep 1] [--orch build/orch]
                          [--repeat 3] [--skip-default-above N]

Each variant runs --repeat times (once above N = 100) and the fastest run is reported: on a
shared machine the least disturbed run is the closest to the tool's own cost.

Run it through bench/peer_ansible.sh, which installs ansible-core and builds orch first.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, cwd, env=None):
    """Runs cmd; returns (wall seconds, CPU seconds of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}) in {cwd}:\n{p.stdout[-3000:]}")
    return wall, cpu


def ansible_dir(n, sleep, strategy):
    d = tempfile.mkdtemp(prefix=f"orch-bench-ansible-{n}-")
    with open(os.path.join(d, "inventory.ini"), "w") as f:
        f.write("[master]\nmaster ansible_host=127.0.0.1\n\n[workers]\n")
        for i in range(n):
            f.write(f"worker{i} ansible_host=127.0.0.1\n")
        f.write("\n[all:vars]\nansible_connection=local\n"
                f"ansible_python_interpreter={sys.executable}\n")
    play = f"""- hosts: master
  gather_facts: false
  strategy: {strategy}
  tasks:
    - name: bring up the master
      command: sleep {sleep}

- hosts: workers
  gather_facts: false
  strategy: {strategy}
  tasks:
    - name: bring up a worker
      command: sleep {sleep}
"""
    with open(os.path.join(d, "site.yml"), "w") as f:
        f.write(play)
    return d


def orch_dir(n, sleep):
    d = tempfile.mkdtemp(prefix=f"orch-bench-orch-{n}-")
    with open(os.path.join(d, "main.orch"), "w") as f:
        f.write(f"""resource "local_command" "master" {{
  command = "sleep {sleep}"
}}

resource "local_command" "worker" {{
  count      = {n}
  command    = "sleep {sleep}"
  depends_on = [local_command.master]
}}
""")
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--sleep", type=float, default=1.0)
    ap.add_argument("--orch", default=os.path.join(ROOT, "build", "orch"))
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per variant up to N = 100 (the fastest is reported)")
    ap.add_argument("--skip-default-above", type=int, default=100000,
                    help="skip default Ansible above this N (it runs N/5 rounds)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    if not shutil.which("ansible-playbook"):
        sys.exit("ansible-playbook is not installed (bench/peer_ansible.sh installs ansible-core)")
    version = subprocess.run(["ansible-playbook", "--version"], stdout=subprocess.PIPE,
                             text=True).stdout.splitlines()[0]
    base_env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1",
                    ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_LOCALHOST_WARNING="False")
    print(f"master then N workers gated on it; each host runs `sleep {args.sleep:g}`")
    print(f"{version}; orch {args.orch}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f} at the start; fastest of {args.repeat} runs "
          f"up to N = 100\n")
    rows = []
    header = f"{'N':>6}  {'tool':<36} {'wall s':>9} {'CPU s':>9} {'orch faster':>12}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        results = {}
        reps = args.repeat if n <= 100 else 1

        def best(make_dir, cmd, env=None):
            runs = []
            for _ in range(reps):
                d = make_dir()
                runs.append(run(cmd, d, env))
                shutil.rmtree(d, ignore_errors=True)
            return min(runs)

        results["orch (defaults)"] = best(lambda: orch_dir(n, args.sleep),
                                          [args.orch, "apply", "-auto-approve", "-no-color"])
        variants = [("ansible (linear, forks=5)", "linear", None),
                    (f"ansible (free, forks={n})", "free", n)]
        for name, strategy, forks in variants:
            if forks is None and n > args.skip_default_above:
                results[name] = None
                continue
            cmd = ["ansible-playbook", "-i", "inventory.ini", "site.yml"]
            if forks:
                cmd += ["--forks", str(forks)]
            results[name] = best(lambda: ansible_dir(n, args.sleep, strategy), cmd, base_env)
        orch_wall = results["orch (defaults)"][0]
        for name, r in results.items():
            if r is None:
                line = f"{n:>6}  {name:<36} {'skipped':>9}"
            else:
                ratio = "" if name.startswith("orch") else f"{r[0] / orch_wall:.1f}x"
                line = f"{n:>6}  {name:<36} {r[0]:>9.2f} {r[1]:>9.2f} {ratio:>12}"
            print(line, flush=True)
            rows.append(line)
        print()


if __name__ == "__main__":
    main()
