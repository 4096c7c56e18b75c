"""Time pandas reading one file; print one JSON object.

Usage: pandas_bench.py csv|parquet FILE

Run by cmd/bench/load (which embeds this file) with Debian's
/usr/bin/python3 and python3-pandas. Each call is a fresh process, so
ru_maxrss is the peak of this read alone (plus the interpreter and pandas).
"""
import json
import resource
import sys
import time


def main():
    kind, path = sys.argv[1], sys.argv[2]
    out = {"reader": "pandas.read_" + kind, "file": path}
    try:
        import pandas as pd
    except ImportError as e:
        out["error"] = "unavailable: %s" % e
        print(json.dumps(out))
        return
    out["version"] = pd.__version__
    start = time.perf_counter()
    try:
        if kind == "csv":
            df = pd.read_csv(path)
        else:
            df = pd.read_parquet(path)
    except ImportError as e:
        out["error"] = "unavailable (%s)" % str(e).splitlines()[0]
        print(json.dumps(out))
        return
    out["seconds"] = time.perf_counter() - start
    out["rows"] = len(df)
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
