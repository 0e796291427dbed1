"""Second, independent TDS client against a real emulator instance: Python's pytds (python-tds).

Usage: python pytds-catalog.py PORT SA_PASSWORD. Builds a master key, a certificate and a login as
a DBA would, reads them back from the catalog views, and prints one JSON object of what it saw.
"""
import datetime
import json
import sys

import pytds

port, sa_password = int(sys.argv[1]), sys.argv[2]
STRONG = "Str0ng!Passw0rd"


def plain(v):
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    return v


def fetch(cur):
    return [[plain(v) for v in row] for row in cur.fetchall()]


out = {}
with pytds.connect(server="127.0.0.1", port=port, user="sa", password=sa_password, database="master",
                   appname="pytds-conformance", autocommit=True, login_timeout=5, timeout=10) as conn:
    out["tds_version"] = hex(conn.tds_version)
    out["product_version"] = hex(conn.product_version)
    cur = conn.cursor()
    cur.execute("SELECT @@SERVERNAME, SUSER_NAME(), DB_NAME()")
    out["whoami"] = fetch(cur)
    cur.execute(
        "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'%s';"
        " CREATE CERTIFICATE py_cert WITH SUBJECT = N'pytds endpoint', START_DATE = '20300101', EXPIRY_DATE = '20310101';"
        " CREATE LOGIN [py]]login] WITH PASSWORD = N'%s'" % (STRONG, STRONG)
    )
    # A parameterised catalog query (sp_executesql with an nvarchar parameter).
    cur.execute(
        "SELECT name, principal_id, type, type_desc, is_disabled, default_database_name, LEN(sid) AS sid_length"
        " FROM sys.server_principals WHERE name = %s",
        ("py]login",),
    )
    out["login"] = fetch(cur)
    cur.execute(
        "SELECT name, certificate_id, principal_id, pvt_key_encryption_type, pvt_key_encryption_type_desc, subject,"
        " start_date, expiry_date, key_length, thumbprint, CERTENCODED(certificate_id) AS der"
        " FROM sys.certificates WHERE name = N'py_cert'"
    )
    out["certificate_columns"] = [d[0] for d in cur.description]
    out["certificate"] = fetch(cur)
    try:
        cur.execute("CREATE LOGIN [py]]login] WITH PASSWORD = N'%s'" % STRONG)
    except pytds.Error as e:
        out["duplicate"] = [e.msg_no, e.state, e.severity, e.text]
print(json.dumps(out))
