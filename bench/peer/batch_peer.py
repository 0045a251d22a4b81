#!/usr/bin/python3
"""bench/peer/batch_peer.py - the batch test-result lookup done the way an analyst would,
with pandas + openpyxl (Debian python3-pandas, python3-openpyxl), as the peer of
`jiayuan batch` in bench/batch_bench (issue 4 "Performance").

    batch_peer.py IN.xlsx SAMPLES.csv RESULTS.csv OUT.xlsx [--days 3] [--window 14] [--now MS]

Same job, same input, same output columns: read the sheet (the header row is found among the
first 5 rows by the usual names), clean the ID column with the same rules as core/idno.h
(spaces of every kind, full-width digits, lowercase x, apostrophe, ="..." wrapper; 15 -> 18
digits; check digit; birth date; Excel's scientific notation and zeroed tails rejected),
mark repeats, then look each valid ID up in a plaintext export of the samples and results
(bench/batch_peer_export: the peer has no keys, so it is spared the blind index and the
decryption the product does), and write the workbook with openpyxl. Prints the counts, the
stage timings and the peak RSS.
"""
import argparse
import re
import resource
import sys
import time

import numpy as np
import pandas as pd

ID_HEADERS = {"身份证号", "身份证号码", "证件号码", "公民身份号码", "证件号", "身份证", "ID", "id_number"}
FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＥｅ．＋"}
SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u2060\u3000\ufeff]")
SCI = re.compile(r"^\d(\.\d+)?E\+?\d+$")
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK = np.array(list("10X98765432"))
RESULT_WORDS = {"negative": "阴性", "positive": "阳性", "invalid": "无效", "pending": "待出结果"}
DAY_MS = 86400000


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_digits(first17):
    """Vectorised MOD 11-2 over a Series of 17-digit strings."""
    digits = first17.str.split("", expand=True).iloc[:, 1:18].astype(np.int64).to_numpy()
    return pd.Series(CHECK[(digits @ WEIGHTS) % 11], index=first17.index)


def clean(raw, today):
    s = raw.fillna("").astype(str)
    s = s.str.replace(SPACES, "", regex=True).str.translate(FULLWIDTH)
    s = s.str.replace(r'^[=\'"\u2018\u2019\u201c\u201d]+', "", regex=True)
    s = s.str.replace(r'["\u201c\u201d]+$', "", regex=True).str.upper()
    status = pd.Series("not_an_id", index=s.index, dtype=object)
    norm = pd.Series("", index=s.index, dtype=object)
    status[s == ""] = "empty"
    status[s.str.match(SCI)] = "excel_corrupted"
    written = s.str.match(r"^\d{16,18}\.0+$")
    status[written] = "excel_corrupted"
    s = s.where(~s.str.match(r"^\d{15}\.0+$"), s.str.slice(0, 15))
    is15 = s.str.match(r"^\d{15}$")
    is18 = s.str.match(r"^\d{17}[\dX]$")
    full = s.where(~is15, s.str.slice(0, 6) + "19" + s.str.slice(6, 15))
    cand = is15 | is18
    first17 = full[cand].str.slice(0, 17)
    check = check_digits(first17) if len(first17) else pd.Series(dtype=object)
    full.loc[is15] = first17[is15[cand].to_numpy()] + check[is15[cand].to_numpy()]
    bad_sum = is18 & (full.str.slice(17, 18) != check.reindex(full.index))
    status[bad_sum] = np.where(full[bad_sum].str.endswith("000"), "excel_corrupted", "bad_checksum")
    dates = pd.to_datetime(full.str.slice(6, 14).where(cand & ~bad_sum), format="%Y%m%d", errors="coerce")
    date_ok = dates.notna() & (dates >= "1900-01-01") & (dates <= today)
    ok = cand & ~bad_sum & date_ok
    status[cand & ~bad_sum & ~date_ok] = "bad_date"
    status[ok & is15] = "converted_15"
    status[ok & is18] = np.where(raw[ok & is18].fillna("").astype(str) == full[ok & is18], "ok", "fixed")
    norm[ok] = full[ok]
    dup = ok & norm.duplicated() & (norm != "")
    status[dup] = "duplicate"
    return status, norm


def fmt_time(ms):
    t = pd.to_datetime(ms, unit="ms", errors="coerce") + pd.Timedelta(hours=8)
    return t.dt.strftime("%Y-%m-%d %H:%M:%S").where(ms.notna() & (ms > 0), None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("samples")
    ap.add_argument("results")
    ap.add_argument("output")
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--window", type=int, default=14)
    ap.add_argument("--now", type=int, default=0, help="reference time, ms (default: now)")
    a = ap.parse_args()
    now = a.now or int(time.time() * 1000)
    stages = {}
    t = time.monotonic()

    # read the sheet; find the header row as a person would (the row naming the ID column)
    raw = pd.read_excel(a.input, header=None, dtype=str, engine="openpyxl")
    header_at = next(i for i in range(min(5, len(raw))) if set(raw.iloc[i].dropna()) & ID_HEADERS)
    title = raw.iloc[:header_at]
    df = raw.iloc[header_at + 1:].dropna(how="all").reset_index(drop=True)
    df.columns = [c if isinstance(c, str) else "" for c in raw.iloc[header_at]]
    idcol = next(c for c in df.columns if c in ID_HEADERS)
    stages["read"] = time.monotonic() - t
    t = time.monotonic()

    today = pd.Timestamp(now + 8 * 3600000, unit="ms").normalize()
    status, norm = clean(df[idcol], today)
    stages["clean"] = time.monotonic() - t
    t = time.monotonic()

    # the data export: samples of the window, latest result per tube
    span = max(a.window, a.days)
    smp = pd.read_csv(a.samples, dtype={"id_number": str, "tube_code": str, "site": str})
    res = pd.read_csv(a.results, dtype={"tube_code": str, "institution": str, "result": str})
    stages["load export"] = time.monotonic() - t
    t = time.monotonic()
    wanted = set(norm[(status != "duplicate") & (norm != "")])
    smp = smp[(smp.collected_at >= now - span * DAY_MS) & (smp.collected_at <= now) & smp.id_number.isin(wanted)]
    res = res[res.tested_at <= now].sort_values(["tube_code", "tested_at"]).groupby("tube_code").tail(1)
    smp = smp.sort_values(["id_number", "collected_at"])
    latest = smp.groupby("id_number").tail(1).set_index("id_number")
    near = smp[smp.collected_at >= now - a.days * DAY_MS]
    count = near.groupby("id_number").tube_code.nunique()
    with_res = smp.merge(res, on="tube_code", how="inner").sort_values(["id_number", "collected_at"])
    last_res = with_res.groupby("id_number").tail(1).set_index("id_number")
    stages["lookup"] = time.monotonic() - t
    t = time.monotonic()

    valid = norm != ""
    key = norm.where(valid)
    sampled = key.map(latest.collected_at)
    out = df.copy()
    out["状态"] = status
    out["是否检测"] = np.where(~valid, None, np.where(sampled >= now - a.window * DAY_MS, "是", "否"))
    out[f"近{a.days}天检测次数"] = np.where(valid, key.map(count).fillna(0), None)
    out["最近采样时间"] = fmt_time(sampled)
    out["最近检测时间"] = fmt_time(key.map(last_res.tested_at))
    out["检测机构"] = key.map(last_res.institution)
    out["最近结果"] = key.map(last_res.result).map(RESULT_WORDS)
    out["采样点"] = key.map(latest.site)
    with pd.ExcelWriter(a.output, engine="openpyxl") as xw:
        title.to_excel(xw, index=False, header=False, startrow=0)
        out.to_excel(xw, index=False, startrow=len(title))
    stages["write"] = time.monotonic() - t

    n_valid = int((valid & (status != "duplicate")).sum())
    found = int(sampled[valid & (status != "duplicate")].notna().sum())
    tested = int((out["是否检测"][valid & (status != "duplicate")] == "是").sum())
    print(f"peer rows {len(df)}: valid {n_valid} (found {found}, not found {n_valid - found}, tested {tested}),"
          f" duplicate {int((status == 'duplicate').sum())}, invalid {int((~valid).sum())}")
    print("peer status: " + " ".join(f"{k} {v}" for k, v in status.value_counts().sort_index().items()))
    print("peer stages: " + ", ".join(f"{k} {v:.3f} s" for k, v in stages.items())
          + f"; total {sum(stages.values()):.3f} s; peak RSS {rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
