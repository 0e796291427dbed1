"""Second, independent TDS client for the emulator's TDS server: Python's pytds (python-tds).

Usage: python pytds-client.py PORT. Prints one JSON object describing what pytds saw.
"""
import datetime
import decimal
import json
import sys
import uuid

import pytds

port = int(sys.argv[1])
common = dict(server="127.0.0.1", port=port, user="sa", password="P@ssw0rd!", database="appdb",
              appname="pytds-test", login_timeout=5, timeout=5)
out = {}
with pytds.connect(autocommit=True, **common) as conn:
    cur = conn.cursor()
    cur.execute("select 1")
    out["select1"] = [list(r) for r in cur.fetchall()]
    params = {
        "n": 42,
        "s": "h\u00e9llo \u2713",
        "b": pytds.Binary(b"\x01\x02\xff"),
        "f": 2.5,
        "d": decimal.Decimal("12.34"),
        "t": datetime.datetime(2020, 1, 2, 3, 4, 5, 6000),
        "g": uuid.UUID("6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        "flag": True,
    }
    cur.execute("select echo /* " + " ".join("%%(%s)s" % k for k in params) + " */", params)
    out["echo_columns"] = [d[0] for d in cur.description]

    def plain(v):
        if isinstance(v, bytes):
            return v.hex()
        if isinstance(v, (datetime.datetime, uuid.UUID)):
            return str(v)
        return v

    out["echo"] = [[plain(v) for v in r] for r in cur.fetchall()]
    cur.execute("update t set x = 1")
    out["rowcount"] = cur.rowcount
    try:
        cur.execute("raise 2627 3 14 7 Violation of PRIMARY KEY constraint.")
    except pytds.Error as e:
        out["error"] = [e.msg_no, e.state, e.severity, e.line, e.text]
    cur.execute("select 1")
    out["after_error"] = [list(r) for r in cur.fetchall()]
with pytds.connect(autocommit=False, **common) as conn:
    cur = conn.cursor()
    cur.execute("update t set x = 2")
    conn.commit()
    cur.execute("update t set x = 3")
    conn.rollback()
    out["transactions"] = "ok"
print(json.dumps(out))
