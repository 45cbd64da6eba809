"""The XLSX peer of worker/benches/reports.rs: Python XlsxWriter in constant_memory mode writes
the orders_detail rows (read from the CSV report) with the same typed cells as Comptoir: dates
as dates, numbers as numbers, money with its currency format, a bold frozen header.

Usage: /usr/bin/python3 xlsxwriter_peer.py report.csv out.xlsx  (Debian python3-xlsxwriter)"""
import csv
import sys
from datetime import datetime

import xlsxwriter

source, target = sys.argv[1], sys.argv[2]
workbook = xlsxwriter.Workbook(target, {"constant_memory": True})
sheet = workbook.add_worksheet("Report")
bold = workbook.add_format({"bold": True})
timestamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
money = {}
with open(source, newline="", encoding="utf-8") as handle:
    rows = csv.reader(handle)
    header = next(rows)
    for col, title in enumerate(header):
        sheet.set_column(col, col, max(12, len(title) + 2))
        sheet.write_string(0, col, title, bold)
    sheet.freeze_panes(1, 0)
    for index, row in enumerate(rows, start=1):
        (order, placed, status, shop, client, sku, product, quantity, unit, total, currency) = row
        fmt = money.get(currency)
        if fmt is None:
            fmt = money[currency] = workbook.add_format({"num_format": f'#,##0.00 "{currency}"'})
        sheet.write_string(index, 0, order)
        sheet.write_datetime(index, 1, datetime.strptime(placed, "%Y-%m-%d %H:%M:%S"), timestamp)
        for col, text in ((2, status), (3, shop), (4, client), (5, sku), (6, product), (10, currency)):
            sheet.write_string(index, col, text)
        sheet.write_number(index, 7, int(quantity))
        sheet.write_number(index, 8, float(unit), fmt)
        sheet.write_number(index, 9, float(total), fmt)
workbook.close()
