#!/usr/bin/env python3
"""smartdeposit against its floors, as paired ratios measured in one run.

  XML:     `smartdeposit run` on an N-line CCW XML drop vs `xmllint --stream --noout` on the same file
  CSV:     `smartdeposit run` on the same lines as CSV vs the sqlite3 shell's `.import` into a fresh database
  XLSX:    `smartdeposit run` on the same lines as an .xlsx workbook (written by openpyxl in its
           streaming mode; with --xlsx-shared also as LibreOffice saves it, with shared strings)
           vs `unzip -p` of its sheet into `xmllint --stream`, and beside the CSV run
  scaling: `smartdeposit run` on CSV drops of several sizes: seconds, cost per line and peak RSS
  postgres (with --postgres URL): `smartdeposit run` of the CSV into a PostgreSQL ledger vs
           psql's `\copy` of the same CSV into a table with the same columns and a unique index
           on (web_order_id, line_number), on the same server (synchronous_commit left on)
  many files: `smartdeposit run` on a drop of 2,000 CSV files of 50 lines each (a partner portal uploading
           per order) vs the same 100,000 lines in one file, both with on_success = "move" and the
           registry synced: the ratio of their lines per second
  reconcile (with --reconcile-lines N): `smartdeposit reconcile` in each format over a ledger of N
           deposits (a partner's holding load among them, part of it transferred on) vs the sqlite3
           shell running the GROUP BY of the balances over the same ledger file

Each smartdeposit run starts from a clean ledger. Each measurement is taken
right after (or before, alternating) its floor on the same file, and the
median of the paired ratios is printed, so that the machine's noise hits
both sides alike. Peak RSS is the kernel's maxrss of the child process.

Usage: Benchmarks/run_benchmarks.py [--lines 1000000] [--repeat 5] [--scaling 100000,1000000,5000000]
Needs a release build (`swift build -c release`) and Benchmarks/setup.sh.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "Benchmarks", "work")


def measure_rss(command, cwd=None):
    """Wall seconds and peak RSS in MiB, via wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 65):
        sys.exit(f"{' '.join(command)} failed with {code}: {err.decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024.0


def generate(folder, lines, fmt):
    if os.path.exists(os.path.join(folder, "pipeline.conf")):
        return
    subprocess.check_call([sys.executable, os.path.join(ROOT, "Benchmarks", "generate_drop.py"), "--out", folder,
                           "--lines", str(lines), "--files", "1", "--format", fmt, "--accounts", "5000",
                           "--mistakes", "--on-success", "keep", "--seed", "5"])


def config_for(folder, inbox):
    path = os.path.join(folder, f"pipeline-{inbox}.conf")
    text = open(os.path.join(folder, "pipeline.conf")).read()
    text = text.replace('inbox = "inbox-xml"', f'inbox = "{inbox}"').replace('inbox = "inbox"', f'inbox = "{inbox}"')
    open(path, "w").write(text)
    return path


def settle():
    """Lets the disk finish what earlier runs left (writeback, freed files) before a measurement starts."""
    os.sync()
    time.sleep(0.5)


def clean(folder):
    shutil.rmtree(os.path.join(folder, "var"), ignore_errors=True)
    settle()


def smartdeposit_run(binary, folder, config, synced=False):
    """A timed run on a clean ledger; with `synced`, one whose registry already holds the accounts file
    (synced, untimed, by `accounts sync`), as every night's ledger does."""
    clean(folder)
    if synced:
        subprocess.check_call([binary, "accounts", "sync", "--config", config], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        settle()
    return measure_rss([binary, "run", "--quiet", "--config", config], cwd=folder)


def paired(binary, folder, config, floor, repeat):
    ratios, ours, floors, rss = [], [], [], []
    for index in range(repeat):
        if index % 2 == 0:
            mine, peak = smartdeposit_run(binary, folder, config)
            base = floor()
        else:
            base = floor()
            mine, peak = smartdeposit_run(binary, folder, config)
        ratios.append(mine / base)
        ours.append(mine)
        floors.append(base)
        rss.append(peak)
    return statistics.median(ratios), statistics.median(ours), statistics.median(floors), max(rss)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scaling", default="100000,1000000,5000000")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "smartdeposit"))
    parser.add_argument("--skip", default="", help="comma-separated: xml,csv,xlsx,many,scaling,postgres")
    parser.add_argument("--many-files", type=int, default=2000, help="files of the many-files drop")
    parser.add_argument("--many-lines", type=int, default=100_000, help="lines of the many-files drop, in all")
    parser.add_argument("--xlsx-shared", action="store_true",
                        help="also measure the workbook LibreOffice makes of the CSV (shared strings; slow to make)")
    parser.add_argument("--reconcile-lines", type=int, default=0,
                        help="build a ledger of this many deposits and measure reconcile on it")
    parser.add_argument("--postgres", default="", help="URL of a PostgreSQL server's postgres database "
                        "(scripts/postgres-cluster.sh start DIR prints one); enables the postgres comparison")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    for tool in ("xmllint", "sqlite3"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run Benchmarks/setup.sh")
    if not os.path.exists(args.binary):
        sys.exit("no release build: run `swift build -c release`")
    os.makedirs(WORK, exist_ok=True)

    both = os.path.join(WORK, f"both-{args.lines}")
    generate(both, args.lines, "both")
    xml_file = os.path.join(both, "inbox-xml", "ccw-000.xml")
    csv_file = os.path.join(both, "inbox-csv", "ccw-000.csv")
    print(f"drop: {args.lines} lines; XML {os.path.getsize(xml_file) >> 20} MiB, CSV {os.path.getsize(csv_file) >> 20} MiB")

    if "xml" not in skip:
        config = config_for(both, "inbox-xml")
        def floor():
            settle()
            return measure_rss(["xmllint", "--stream", "--noout", xml_file])[0]

        ratio, mine, base, rss = paired(args.binary, both, config, floor, args.repeat)
        print(f"XML  {args.lines} lines: smartdeposit {mine:.2f}s, xmllint --stream {base:.2f}s, "
              f"median paired ratio {ratio:.2f}x, peak RSS {rss:.1f} MiB, {args.lines / mine:,.0f} lines/s")

    if "csv" not in skip:
        config = config_for(both, "inbox-csv")
        database = os.path.join(WORK, "import.sqlite")

        def floor():
            for suffix in ("", "-wal", "-shm", "-journal"):
                if os.path.exists(database + suffix):
                    os.remove(database + suffix)
            settle()
            return measure_rss(["sqlite3", database, "-cmd", ".mode csv", f".import {csv_file} orders"])[0]

        ratio, mine, base, rss = paired(args.binary, both, config, floor, args.repeat)
        print(f"CSV  {args.lines} lines: smartdeposit {mine:.2f}s, sqlite3 .import {base:.2f}s, "
              f"median paired ratio {ratio:.2f}x, peak RSS {rss:.1f} MiB, {args.lines / mine:,.0f} lines/s")

    if "xlsx" not in skip:
        xlsx_comparison(args, both, csv_file)

    if "many" not in skip:
        many_files_comparison(args)

    if args.postgres and "postgres" not in skip:
        postgres_comparison(args, both, csv_file)

    if args.reconcile_lines:
        reconcile_comparison(args)

    if "scaling" not in skip:
        sizes = [int(s) for s in args.scaling.split(",") if s]
        repeat = max(1, min(args.repeat, 3))
        first, fixed = fixed_cost(args.binary, sizes[0], max(repeat, 9)) if sizes else (0.0, 0.0)
        print(f"fixed cost: {fixed * 1000:.1f} ms (a run over an empty drop, its 5,000 accounts unchanged since "
              f"the last sync); {first * 1000:.1f} ms on a clean ledger (the first sync)")
        print("scaling runs: a ledger with no deposits whose registry holds the accounts file")
        results = []
        for size in sizes:
            folder = os.path.join(WORK, f"csv-{size}")
            generate(folder, size, "csv")
            config = os.path.join(folder, "pipeline.conf")
            runs = [smartdeposit_run(args.binary, folder, config, synced=True) for _ in range(repeat)]
            seconds = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            results.append((size, seconds, rss))
            print(f"scaling {size:>9} lines: {seconds:7.2f}s, {seconds / size * 1e6:6.2f} us/line "
                  f"({(seconds - fixed) / size * 1e6:.2f} us/line beyond the fixed cost), "
                  f"{size / seconds:,.0f} lines/s, peak RSS {rss:.1f} MiB")
        if len(results) > 1:
            costs = [s / n for n, s, _ in results]
            net = [(s - fixed) / n for n, s, _ in results]
            print(f"cost per line varies by {(max(costs) / min(costs) - 1) * 100:.1f}% across sizes "
                  f"({(max(net) / min(net) - 1) * 100:.1f}% beyond the fixed cost); "
                  f"peak RSS from {min(r for _, _, r in results):.1f} to {max(r for _, _, r in results):.1f} MiB")


def reconcile_comparison(args):
    folder = os.path.join(WORK, f"ledger-{args.reconcile_lines}")
    ledger = os.path.join(folder, "var", "ledger.sqlite")
    if not os.path.exists(ledger):
        holding = args.reconcile_lines // 10
        subprocess.check_call([sys.executable, os.path.join(ROOT, "Benchmarks", "generate_drop.py"), "--out", folder,
                               "--lines", str(args.reconcile_lines - holding), "--partner-lines", str(holding),
                               "--files", "4", "--format", "csv", "--accounts", "5000", "--mistakes",
                               "--on-success", "keep", "--seed", "9"])
        measure_rss([args.binary, "run", "--quiet", "--config", os.path.join(folder, "pipeline.conf")], cwd=folder)
        # Every fourth held line is handed half over to a customer account, so that the
        # reconciliation traces transfers as it would in production.
        import csv
        bulk = os.path.join(folder, "inbox", "globalnet", "holding-bulk.csv")
        with open(bulk, newline="") as source, \
                open(os.path.join(folder, "inbox", "globalnet", "handover.transfer.csv"), "w", newline="") as target:
            writer = csv.writer(target)
            writer.writerow(["transfer_id", "from_smart_account", "web_order_id", "line_number", "quantity",
                             "to_smart_account", "to_virtual_account"])
            for index, row in enumerate(csv.DictReader(source)):
                if index % 4 == 0 and row["quantity"].isdigit() and int(row["quantity"]) > 1:
                    writer.writerow([f"T-{index}", row["smart_account"], row["web_order_id"], row["line_number"],
                                     int(row["quantity"]) // 2, f"cust{index % 5000:05d}.example", ""])
        measure_rss([args.binary, "run", "--quiet", "--config", os.path.join(folder, "pipeline.conf")], cwd=folder)
    deposits = subprocess.check_output(["sqlite3", ledger, "SELECT COUNT(*) FROM deposits"]).decode().strip()
    print(f"ledger: {deposits} deposits, {os.path.getsize(ledger) >> 20} MiB")
    group_by = ("SELECT smart_account, virtual_account, sku, SUM(CASE status WHEN 'held' THEN quantity END), "
                "SUM(quantity), COUNT(*) FROM deposits GROUP BY smart_account, virtual_account, sku")

    def floor():
        settle()
        return measure_rss(["sh", "-c", f'sqlite3 "{ledger}" "{group_by}" > /dev/null'])[0]

    for fmt in ("csv", "json", "html"):
        out = os.path.join(WORK, f"reconcile.{fmt}")
        ratios, ours, floors, rss = [], [], [], []
        for index in range(args.repeat):
            def ours_once():
                settle()
                return measure_rss([args.binary, "reconcile", "--config", os.path.join(folder, "pipeline.conf"),
                                    "--format", fmt, "--out", out, "--as-of", "2026-12-01"], cwd=folder)
            if index % 2 == 0:
                mine, peak = ours_once()
                base = floor()
            else:
                base = floor()
                mine, peak = ours_once()
            ratios.append(mine / base)
            ours.append(mine)
            floors.append(base)
            rss.append(peak)
        print(f"reconcile --format {fmt:<4} over {deposits} deposits: {statistics.median(ours):.2f}s, "
              f"sqlite3 GROUP BY {statistics.median(floors):.2f}s, median paired ratio "
              f"{statistics.median(ratios):.2f}x, peak RSS {max(rss):.1f} MiB, output {os.path.getsize(out) >> 20} MiB")


def xlsx_comparison(args, both, csv_file):
    """The same lines as a workbook: against inflating and parsing its sheet, and beside the CSV run."""
    folder = os.path.join(WORK, f"xlsx-{args.lines}")
    generate(folder, args.lines, "xlsx")
    workbooks = [("openpyxl, inline strings", folder, os.path.join(folder, "inbox", "ccw-000.xlsx"))]
    if args.xlsx_shared and shutil.which("soffice"):
        shared = os.path.join(WORK, f"xlsx-shared-{args.lines}")
        book = os.path.join(shared, "inbox", "ccw-000.xlsx")
        if not os.path.exists(book):
            shutil.copytree(folder, shared, ignore=shutil.ignore_patterns("var", "*.xlsx"))
            subprocess.check_call(["soffice", "--headless", "--convert-to", "xlsx", "--outdir",
                                   os.path.dirname(book), csv_file], stdout=subprocess.DEVNULL)
        workbooks.append(("LibreOffice, shared strings", shared, book))
    csv_config = config_for(both, "inbox-csv")
    csv_runs = [smartdeposit_run(args.binary, both, csv_config)[0] for _ in range(max(1, min(args.repeat, 3)))]
    csv_seconds = statistics.median(csv_runs)
    for label, drop, book in workbooks:
        config = os.path.join(drop, "pipeline.conf")

        def floor():
            settle()
            start = time.perf_counter()
            unzip = subprocess.Popen(["unzip", "-p", book, "xl/worksheets/sheet1.xml"], stdout=subprocess.PIPE)
            subprocess.check_call(["xmllint", "--stream", "--noout", "-"], stdin=unzip.stdout)
            unzip.wait()
            return time.perf_counter() - start

        ratio, mine, base, rss = paired(args.binary, drop, config, floor, args.repeat)
        print(f"XLSX {args.lines} lines ({label}, {os.path.getsize(book) >> 20} MiB): smartdeposit {mine:.2f}s, "
              f"unzip -p | xmllint --stream {base:.2f}s, median paired ratio {ratio:.2f}x, peak RSS {rss:.1f} MiB, "
              f"{args.lines / mine:,.0f} lines/s; the CSV of the same lines {csv_seconds:.2f}s "
              f"({args.lines / csv_seconds:,.0f} lines/s, XLSX/CSV {mine / csv_seconds:.2f}x)")


def psql(url, *commands):
    subprocess.check_call(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1"] + [a for c in commands for a in ("-c", c)],
                          stdout=subprocess.DEVNULL)


def database_url(url, name):
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def postgres_comparison(args, both, csv_file):
    ledger = "sdbench_ledger"
    target = "sdbench_copy"
    config = os.path.join(both, "pipeline-postgres.conf")
    text = open(config_for(both, "inbox-csv")).read().replace(
        'path = "var/ledger.sqlite"', f'url = "{database_url(args.postgres, ledger)}"')
    open(config, "w").write(text)
    header = open(csv_file).readline().strip().split(",")
    columns = ", ".join(f"{name} text" for name in header)

    def fresh(name):
        psql(args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")

    def ours():
        fresh(ledger)
        return smartdeposit_run(args.binary, both, config)

    def floor():
        fresh(target)
        url = database_url(args.postgres, target)
        psql(url, f"CREATE TABLE orders ({columns})",
             "CREATE UNIQUE INDEX orders_identity ON orders (web_order_id, line_number)")
        settle()
        return measure_rss(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                            f"\\copy orders FROM '{csv_file}' WITH (FORMAT csv, HEADER true)"])[0]

    ratios, mine_all, base_all, rss = [], [], [], []
    for index in range(args.repeat):
        if index % 2 == 0:
            mine, peak = ours()
            base = floor()
        else:
            base = floor()
            mine, peak = ours()
        ratios.append(mine / base)
        mine_all.append(mine)
        base_all.append(base)
        rss.append(peak)
    mine, base = statistics.median(mine_all), statistics.median(base_all)
    print(f"PostgreSQL CSV {args.lines} lines: smartdeposit {mine:.2f}s, psql \\copy {base:.2f}s, "
          f"median paired ratio {statistics.median(ratios):.2f}x, peak RSS {max(rss):.1f} MiB, "
          f"{args.lines / mine:,.0f} lines/s")
    psql(args.postgres, f"DROP DATABASE IF EXISTS {ledger} WITH (FORCE)", f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")


def many_files_comparison(args):
    lines, count = args.many_lines, args.many_files
    drops = {}
    for files in (1, count):
        folder = os.path.join(WORK, f"many-{files}x{lines}")
        if not os.path.exists(os.path.join(folder, "pipeline.conf")):
            subprocess.check_call([sys.executable, os.path.join(ROOT, "Benchmarks", "generate_drop.py"), "--out",
                                   folder, "--lines", str(lines), "--files", str(files), "--format", "csv",
                                   "--accounts", "5000", "--mistakes", "--on-success", "move", "--seed", "5"])
            shutil.copytree(os.path.join(folder, "inbox"), os.path.join(folder, "inbox.pristine"))
        drops[files] = folder

    def once(folder):
        """A timed run over the drop as it arrived, on a ledger whose registry holds the accounts file."""
        clean(folder)
        shutil.rmtree(os.path.join(folder, "inbox"), ignore_errors=True)
        shutil.copytree(os.path.join(folder, "inbox.pristine"), os.path.join(folder, "inbox"))
        config = os.path.join(folder, "pipeline.conf")
        subprocess.check_call([args.binary, "accounts", "sync", "--config", config], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        settle()
        return measure_rss([args.binary, "run", "--quiet", "--config", config], cwd=folder)

    ratios, one, many, rss = [], [], [], []
    for index in range(args.repeat):
        order = (1, count) if index % 2 == 0 else (count, 1)
        times = {files: once(drops[files]) for files in order}
        ratios.append(times[1][0] / times[count][0])
        one.append(times[1][0])
        many.append(times[count][0])
        rss.append(times[count][1])
    print(f"many files: {count} files of {lines // count} lines {statistics.median(many):.2f}s, one file of {lines} "
          f"lines {statistics.median(one):.2f}s; lines/s of the many at {statistics.median(ratios):.2f}x the one's "
          f"(median paired), peak RSS {max(rss):.1f} MiB")


def fixed_cost(binary, size, repeat):
    """Seconds of a run that finds nothing to do (start-up, the accounts file, run history, reports): on a clean
    ledger, which syncs the drops' 5,000 accounts, and then on that ledger, the accounts file unchanged."""
    source = os.path.join(WORK, f"csv-{size}")
    generate(source, size, "csv")
    folder = os.path.join(WORK, "empty")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name in ("pipeline.conf", "accounts.csv"):
        shutil.copy(os.path.join(source, name), folder)
    for entry in os.listdir(os.path.join(source, "inbox")):
        if os.path.isdir(os.path.join(source, "inbox", entry)):
            os.makedirs(os.path.join(folder, "inbox", entry))
    os.makedirs(os.path.join(folder, "inbox"), exist_ok=True)
    config = os.path.join(folder, "pipeline.conf")
    first = statistics.median(smartdeposit_run(binary, folder, config)[0] for _ in range(repeat))
    again = []
    for _ in range(repeat):
        settle()
        again.append(measure_rss([binary, "run", "--quiet", "--config", config], cwd=folder)[0])
    return first, statistics.median(again)


if __name__ == "__main__":
    main()
