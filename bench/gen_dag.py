#!/usr/bin/env python3
"""Generates the same layered no-op DAG three ways: a floe project, a Makefile and a Snakefile.
usage: gen_dag.py OUT_DIR N_ASSETS [LAYERS]"""
import os, random, sys

out, n = sys.argv[1], int(sys.argv[2])
layers = int(sys.argv[3]) if len(sys.argv) > 3 else 20
random.seed(1)
per = max(1, n // layers)
names, deps = [], {}
for i in range(n):
    layer = i // per
    name = f"n{i}"
    names.append(name)
    if layer == 0:
        deps[name] = []
    else:
        prev = names[(layer - 1) * per:layer * per]
        # fan-in of 1-3 from the previous layer; popular nodes give fan-out
        deps[name] = sorted(set(random.choice(prev[: max(1, len(prev) // (1 + i % 3))]) for _ in range(random.randint(1, 3))))
os.makedirs(f"{out}/floe/assets", exist_ok=True)
with open(f"{out}/floe/floe.yaml", "w") as f:
    f.write("name: noop\n")
with open(f"{out}/floe/assets/dag.yaml", "w") as f:
    f.write("assets:\n")
    for nm in names:
        d = ", ".join(deps[nm])
        f.write(f"  - {{key: {nm}, kind: command, command: [\"true\"], deps: [{d}]}}\n")
with open(f"{out}/Makefile", "w") as f:
    f.write(".PHONY: all " + " ".join(names) + "\n")
    f.write("all: " + " ".join(names) + "\n")
    for nm in names:
        f.write(f"{nm}: {' '.join(deps[nm])}\n\t@true\n")
os.makedirs(f"{out}/snake", exist_ok=True)
with open(f"{out}/snake/Snakefile", "w") as f:
    f.write("rule all:\n    input: [" + ", ".join(f'"out/{nm}"' for nm in names) + "]\n")
    for nm in names:
        inp = ", ".join(f'"out/{d}"' for d in deps[nm])
        f.write(f"rule {nm}:\n    input: [{inp}]\n    output: touch(\"out/{nm}\")\n    shell: \"true\"\n")
