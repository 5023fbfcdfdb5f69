#!/usr/bin/env python3
"""Build a large, realistic RPM root for the rootaudit benchmark.

The root is made with the real tools: packages are built by `rpmbuild` from
generated specs and installed with `rpm -i --root`, so the database, the
file digests, modes, mtimes and symlinks are exactly what rpm writes on a
real system. The result is cached (keyed by every parameter and the
generator version) under `${ROOTAUDIT_BENCH_CACHE:-/var/tmp/rootaudit-bench}`
and reused by later runs.

Shape (at the `full` scale): 1,000 packages, 150,000 regular files plus
symlinks and owned directories, about 5.5 GiB. File counts per package are
Zipf-like (a few packages with thousands of files, most with tens); file
sizes follow a tiered mix: most files under 16 KiB, a tail of multi-MiB
libraries and a few files over 100 MiB. Paths are realistic in depth
(`/usr/lib/python3.11/site-packages/<pkg>/<sub>/<mod>.py`, locale
catalogues, headers, docs, `%config` files under /etc). Content is
deterministic pseudo-random bytes (a seeded pool, sliced at per-file
offsets, with a unique prefix so no two files share a digest).

Speed: files are written once into a staging tree that `%install` renames
into the build root; several packages are built per `rpmbuild` run (as
subpackages) with the fast defines from notes/rpm-on-debian.md and no
payload compression, groups are built in parallel, and everything is
installed in one `rpm -i` transaction.

Usage:
    benches/genroot.py --scale full            # prints the info JSON
    benches/genroot.py --packages 50 --files 5000 --huge-mib 110
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Bump when the generated tree changes shape: invalidates caches.
GENERATOR_VERSION = 1

# Packages per rpmbuild run (one main package + subpackages).
GROUP = 10

# (fraction of regular files, min bytes, max bytes), log-uniform inside a tier.
SIZE_TIERS = [
    (0.620, 64, 4 << 10),
    (0.282, 4 << 10, 16 << 10),
    (0.080, 16 << 10, 256 << 10),
    (0.015, 256 << 10, 1 << 20),
    (0.003, 1 << 20, 16 << 20),
]

SCALES = {
    # CI smoke test: seconds to build.
    "tiny": dict(packages=8, files=400, huge_mib=[4]),
    # Development: a minute or so.
    "small": dict(packages=100, files=15_000, huge_mib=[110]),
    # The measurement in docs/performance.md.
    "full": dict(packages=1_000, files=150_000, huge_mib=[120, 180, 250]),
    # Growth check (RSS, scheduling) beyond the target.
    "large": dict(packages=3_000, files=450_000, huge_mib=[120, 180, 250, 400, 600]),
}

LANGS = (
    "ar bg ca cs da de el es et fi fr gl he hr hu id it ja ko lt lv nb nl pl "
    "pt pt_BR ro ru sk sl sr sv tr uk vi zh_CN zh_TW"
).split()

POOL_SIZE = 8 << 20


@dataclass
class Params:
    packages: int
    files: int
    huge_mib: list[int]
    seed: int = 1
    scale: str = "custom"

    def key(self) -> str:
        huge = "-".join(str(h) for h in self.huge_mib) or "none"
        return (
            f"{self.scale}-p{self.packages}-f{self.files}-h{huge}"
            f"-s{self.seed}-v{GENERATOR_VERSION}"
        )


@dataclass
class Entry:
    path: str
    kind: str  # "file", "link", "dir"
    size: int = 0
    mode: int = 0o644
    attr: str = ""  # "", "config", "doc"
    target: str = ""


@dataclass
class Package:
    name: str
    entries: list[Entry] = field(default_factory=list)


def log_uniform(rng: random.Random, lo: int, hi: int) -> int:
    import math

    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def sample_size(rng: random.Random) -> int:
    x = rng.random()
    acc = 0.0
    for frac, lo, hi in SIZE_TIERS:
        acc += frac
        if x < acc:
            return log_uniform(rng, lo, hi)
    return log_uniform(rng, SIZE_TIERS[-1][1], SIZE_TIERS[-1][2])


def file_counts(rng: random.Random, p: Params) -> list[int]:
    """Zipf-like files per package, summing to p.files, each at least 1."""
    weights = [1.0 / (i + 1) ** 0.75 for i in range(p.packages)]
    rng.shuffle(weights)
    total = sum(weights)
    counts = [max(1, int(p.files * w / total)) for w in weights]
    diff = p.files - sum(counts)
    i = 0
    while diff != 0:
        j = i % p.packages
        if diff > 0:
            counts[j] += 1
            diff -= 1
        elif counts[j] > 1:
            counts[j] -= 1
            diff += 1
        i += 1
    return counts


def place(rng: random.Random, pkg: str, k: int, size: int, nsub: int) -> tuple[str, int, str]:
    """A realistic path, mode and attribute for a file of this size."""
    sub = f"m{rng.randrange(nsub)}"
    if size >= 1 << 20:
        if rng.random() < 0.7:
            return f"/usr/lib64/{pkg}/lib{pkg}-{k}.so.{k % 7}.0", 0o755, ""
        return f"/usr/share/{pkg}/data/{sub}/pack{k}.dat", 0o644, ""
    x = rng.random()
    if x < 0.35:
        return f"/usr/lib/python3.11/site-packages/{pkg}/{sub}/mod{k}.py", 0o644, ""
    if x < 0.60:
        return f"/usr/share/{pkg}/{sub}/res{k}.dat", 0o644, ""
    if x < 0.70 and size < 64 << 10:
        lang = LANGS[k % len(LANGS)]
        return f"/usr/share/locale/{lang}/LC_MESSAGES/{pkg}-{k}.mo", 0o644, ""
    if x < 0.80:
        return f"/usr/include/{pkg}/{sub}/h{k}.h", 0o644, ""
    if x < 0.86:
        return f"/usr/share/doc/{pkg}/NOTE-{k}.txt", 0o644, "doc"
    if x < 0.90:
        return f"/usr/bin/{pkg}-tool{k}", 0o755, ""
    if x < 0.92 and size < 64 << 10:
        return f"/etc/{pkg}/conf{k}.conf", 0o644, "config"
    return f"/usr/lib64/{pkg}/plugins/{sub}/p{k}.so", 0o755, ""


def plan(p: Params) -> list[Package]:
    rng = random.Random(p.seed)
    counts = file_counts(rng, p)
    pkgs = []
    huge_at = {rng.randrange(p.packages): [] for _ in p.huge_mib}
    owners = list(huge_at)
    for i, h in enumerate(p.huge_mib):
        huge_at[owners[i % len(owners)]].append(h)
    for i, n in enumerate(counts):
        name = f"bench{i:04d}"
        pkg = Package(name)
        nsub = max(1, n // 60)
        huge = huge_at.get(i, [])
        regular = []
        for k in range(n):
            if k < len(huge):
                size = huge[k] << 20 | rng.randrange(1 << 16)
                path, mode = f"/usr/lib64/{name}/lib{name}-big{k}.so", 0o755
                attr = ""
            else:
                size = sample_size(rng)
                path, mode, attr = place(rng, name, k, size, nsub)
            e = Entry(path, "file", size, mode, attr)
            pkg.entries.append(e)
            regular.append(e)
        for k in range(max(0, round(n * 0.05))):
            tgt = rng.choice(regular).path
            pkg.entries.append(
                Entry(f"/usr/lib64/{name}/links/l{k}", "link", target=tgt, mode=0o777)
            )
        dirs = set()
        for e in pkg.entries:
            d = os.path.dirname(e.path)
            while d != "/" and name in d.split("/"):
                dirs.add(d)
                d = os.path.dirname(d)
        for d in sorted(dirs):
            pkg.entries.append(Entry(d, "dir", mode=0o755))
        pkgs.append(pkg)
    return pkgs


_POOL: bytes = b""


def pool(seed: int) -> bytes:
    global _POOL
    if not _POOL:
        _POOL = random.Random(seed * 7919).randbytes(POOL_SIZE)
    return _POOL


def write_content(path: str, size: int, uid: int, seed: int) -> None:
    data = memoryview(pool(seed))
    prefix = f"rootaudit-bench {uid}\n".encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        head = prefix[:size]
        os.write(fd, head)
        left = size - len(head)
        off = (uid * 2654435761) % POOL_SIZE
        while left > 0:
            n = min(left, POOL_SIZE - off, 4 << 20)
            done = os.write(fd, data[off : off + n])
            left -= done
            off = (off + done) % POOL_SIZE
    finally:
        os.close(fd)


def stage_group(stage: Path, pkgs: list[Package], first_uid: int, seed: int) -> None:
    uid = first_uid
    for pkg in pkgs:
        for e in pkg.entries:
            dest = stage / e.path.lstrip("/")
            if e.kind == "dir":
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if e.kind == "link":
                os.symlink(e.target, dest)
            else:
                write_content(str(dest), e.size, uid, seed)
                os.chmod(dest, e.mode)
            uid += 1


def spec_text(pkgs: list[Package], stage: Path, lists: list[Path]) -> str:
    main = pkgs[0].name
    out = [
        f"Name: {main}",
        "Version: 1.0",
        "Release: 1",
        "Summary: rootaudit benchmark package",
        "License: MIT",
        "BuildArch: noarch",
        "AutoReqProv: no",
        "",
        "%description",
        "Synthetic package for the rootaudit benchmark.",
        "",
    ]
    for pkg in pkgs[1:]:
        out += [
            f"%package -n {pkg.name}",
            "Summary: rootaudit benchmark package",
            f"%description -n {pkg.name}",
            "Synthetic package for the rootaudit benchmark.",
            "",
        ]
    out += [
        "%install",
        'rmdir "%{buildroot}"',
        f'mv "{stage}" "%{{buildroot}}"',
        "",
        f"%files -f {lists[0]}",
        "%defattr(-,root,root,-)",
        "",
    ]
    for pkg, lst in zip(pkgs[1:], lists[1:]):
        out += [f"%files -n {pkg.name} -f {lst}", "%defattr(-,root,root,-)", ""]
    return "\n".join(out)


def file_list(pkg: Package) -> str:
    lines = []
    for e in pkg.entries:
        if e.kind == "dir":
            lines.append(f"%dir {e.path}")
        elif e.kind == "link":
            lines.append(e.path)
        elif e.attr == "config":
            lines.append(f"%config(noreplace) %attr({e.mode:04o},root,root) {e.path}")
        elif e.attr == "doc":
            lines.append(f"%doc %attr({e.mode:04o},root,root) {e.path}")
        else:
            lines.append(f"%attr({e.mode:04o},root,root) {e.path}")
    return "\n".join(lines) + "\n"


RPMBUILD_DEFINES = {
    "__os_install_post": "%{nil}",
    "__spec_install_post": "%{nil}",
    "__check_files": "%{nil}",
    "debug_package": "%{nil}",
    "_build_id_links": "none",
    "_binary_payload": "w0.ufdio",
}


def build_group(job: tuple[int, list[Package], str, int, int]) -> tuple[int, float]:
    gi, pkgs, work, first_uid, seed = job
    started = time.monotonic()
    work = Path(work)
    stage = work / "stage" / f"g{gi:04d}"
    stage.mkdir(parents=True)
    stage_group(stage, pkgs, first_uid, seed)
    lists = []
    for pkg in pkgs:
        lst = work / "lists" / f"{pkg.name}.files"
        lst.write_text(file_list(pkg))
        lists.append(lst)
    spec = work / "specs" / f"g{gi:04d}.spec"
    spec.write_text(spec_text(pkgs, stage, lists))
    cmd = ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {work / 'top'}"]
    for k, v in RPMBUILD_DEFINES.items():
        cmd += ["--define", f"{k} {v}"]
    cmd.append(str(spec))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"rpmbuild failed for group {gi}:\n{r.stdout}\n{r.stderr}")
    return gi, time.monotonic() - started


def log(msg: str) -> None:
    print(f"genroot: {msg}", file=sys.stderr, flush=True)


def generate(p: Params, cache: Path, jobs: int) -> dict:
    out = cache / p.key()
    info_path = out / "info.json"
    if info_path.exists():
        return json.loads(info_path.read_text())
    work = cache / (p.key() + ".build")
    for d in (out, work):
        if d.exists():
            log(f"removing incomplete {d}")
            shutil.rmtree(d)
    for d in ("stage", "lists", "specs", "top"):
        (work / d).mkdir(parents=True)
    started = time.monotonic()
    pkgs = plan(p)
    groups = [pkgs[i : i + GROUP] for i in range(0, len(pkgs), GROUP)]
    jobs_list = []
    uid = 0
    for gi, g in enumerate(groups):
        jobs_list.append((gi, g, str(work), uid, p.seed))
        uid += sum(len(pk.entries) for pk in g)
    # Biggest groups first so the tail is short.
    jobs_list.sort(key=lambda j: -sum(e.size for pk in j[1] for e in pk.entries))
    log(f"building {len(pkgs)} packages in {len(groups)} rpmbuild runs, {jobs} in parallel")
    with multiprocessing.get_context("fork").Pool(jobs) as poolx:
        for n, _ in enumerate(poolx.imap_unordered(build_group, jobs_list), 1):
            if n % 10 == 0 or n == len(groups):
                log(f"  built {n}/{len(groups)} groups ({time.monotonic() - started:.0f} s)")
    built = time.monotonic()

    root = out / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc/group").write_text("root:x:0:\n")
    rpm = ["rpm", "--root", str(root), "--dbpath", "/var/lib/rpm"]
    subprocess.run(rpm + ["--initdb"], check=True)
    rpms = sorted(str(x) for x in (work / "top" / "RPMS").rglob("*.rpm"))
    if len(rpms) != len(pkgs):
        raise RuntimeError(f"expected {len(pkgs)} rpms, rpmbuild made {len(rpms)}")
    log(f"installing {len(rpms)} packages into {root}")
    flags = ["-i", "--nodeps", "--noscripts", "--nodigest", "--nosignature", "--ignoresize"]
    r = subprocess.run(rpm + flags + rpms, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"rpm -i failed:\n{r.stdout}\n{r.stderr[-4000:]}")
    installed = time.monotonic()
    q = subprocess.run(rpm + ["-qa"], capture_output=True, text=True, check=True)
    if len(q.stdout.split()) != len(pkgs):
        raise RuntimeError(f"rpm -qa lists {len(q.stdout.split())} packages, not {len(pkgs)}")

    regular = [e for pk in pkgs for e in pk.entries if e.kind == "file"]
    regular.sort(key=lambda e: -e.size)
    manifest = out / "regular-files.list0"
    with open(manifest, "wb") as f:
        for e in regular:
            f.write(str(root).encode() + e.path.encode() + b"\0")
    shutil.rmtree(work)
    info = {
        "generator_version": GENERATOR_VERSION,
        "params": asdict(p),
        "root": str(root),
        "manifest": str(manifest),
        "packages": len(pkgs),
        "regular_files": len(regular),
        "symlinks": sum(1 for pk in pkgs for e in pk.entries if e.kind == "link"),
        "directories": sum(1 for pk in pkgs for e in pk.entries if e.kind == "dir"),
        "bytes": sum(e.size for e in regular),
        "files_under_16k": sum(1 for e in regular if e.size < 16 << 10),
        "files_over_1m": sum(1 for e in regular if e.size >= 1 << 20),
        "files_over_100m": sum(1 for e in regular if e.size >= 100 << 20),
        "largest": regular[0].size if regular else 0,
        "build_seconds": round(built - started, 1),
        "install_seconds": round(installed - built, 1),
        "rpm_version": subprocess.run(
            ["rpm", "--version"], capture_output=True, text=True
        ).stdout.strip(),
    }
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    log(
        f"done: {info['packages']} packages, {info['regular_files']} files, "
        f"{info['bytes'] / 2**30:.2f} GiB in {installed - started:.0f} s"
    )
    return info


def params_from_args(a: argparse.Namespace) -> Params:
    base = dict(SCALES[a.scale]) if a.scale else dict(SCALES["small"])
    custom = False
    for k in ("packages", "files"):
        v = getattr(a, k)
        if v is not None:
            base[k] = v
            custom = True
    if a.huge_mib is not None:
        base["huge_mib"] = [int(x) for x in a.huge_mib.split(",") if x]
        custom = True
    scale = "custom" if custom or not a.scale else a.scale
    return Params(seed=a.seed, scale=scale, **base)


def add_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--scale", choices=sorted(SCALES), help="preset size (default small)")
    ap.add_argument("--packages", type=int, help="number of packages")
    ap.add_argument("--files", type=int, help="number of regular files")
    ap.add_argument("--huge-mib", help="comma list of >100 MiB file sizes in MiB ('' for none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--cache",
        default=os.environ.get("ROOTAUDIT_BENCH_CACHE", "/var/tmp/rootaudit-bench"),
        help="cache directory (default $ROOTAUDIT_BENCH_CACHE or /var/tmp/rootaudit-bench)",
    )
    ap.add_argument("--gen-jobs", type=int, default=os.cpu_count() or 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_args(ap)
    a = ap.parse_args()
    p = params_from_args(a)
    if p.packages < 1 or p.files < p.packages:
        ap.error("need at least one package and one file per package")
    info = generate(p, Path(a.cache), a.gen_jobs)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
