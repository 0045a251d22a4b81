#!/usr/bin/python3
"""tests/support/xlsx_peer.py - read an .xlsx written by io/xlsxw.h with openpyxl, a real
other program (python3-openpyxl), and print what it sees so a C test can compare.

  xlsx_peer.py dump PATH        every sheet: name, frozen cell, custom column widths, then
                                every non-empty cell as coord, openpyxl type, number format,
                                bold (0/1) and the value as JSON
  xlsx_peer.py last PATH       the sheet names, then the values of the last sheet's rows
                                (read-only: cheap even behind a full first sheet)
  xlsx_peer.py bulk PATH N      the first sheet must hold a header and rows 1..N of the
                                pattern of test_xlsxw.c's bulk_cells(); prints "bulk ok N"
                                or the first difference
"""
import json
import sys

import openpyxl


def dump(path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        widths = ",".join(
            "%s=%g" % (k, d.width) for k, d in sorted(ws.column_dimensions.items()) if d.customWidth
        )
        print("sheet\t%s\tfreeze=%s\twidths=%s" % (ws.title, ws.freeze_panes, widths))
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                print("%s\t%s\t%s\t%d\t%s" % (c.coordinate, c.data_type, c.number_format,
                                              1 if c.font.b else 0,
                                              json.dumps(c.value, ensure_ascii=False)))


def last(path):
    wb = openpyxl.load_workbook(path, read_only=True)
    print("sheets %s" % json.dumps(wb.sheetnames, ensure_ascii=False))
    for row in wb.worksheets[-1].iter_rows(values_only=True):
        print(json.dumps(list(row), ensure_ascii=False))


STATUS = ["阴性", "阳性", "待出结果"]


def bulk(path, n):
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    head = next(rows)
    if list(head) != ["身份证号", "结果", "序号", "备注"]:
        print("bulk header %r" % (head,))
        return
    i = 0
    for row in rows:
        i += 1
        want = ("1101011990%08d" % i, STATUS[i % 3], i, "行%d <&> \"q\"" % i)
        if tuple(row) != want:
            print("bulk row %d: %r != %r" % (i + 1, row, want))
            return
    print("bulk ok %d" % i if i == n else "bulk rows %d != %d" % (i, n))


if __name__ == "__main__":
    if sys.argv[1] == "dump":  # a count after the path is ignored
        dump(sys.argv[2])
    elif sys.argv[1] == "last":
        last(sys.argv[2])
    else:
        bulk(sys.argv[2], int(sys.argv[3]))
