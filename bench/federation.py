"""Federation benchmark: how fast a partner that was down catches up, over HTTPS with mutual TLS.

Run: ``.venv/bin/python bench/federation.py [--n 5000] [--batch 500] [--fin-url postgresql+psycopg://...]``

DNK node on a temporary SQLite file, FIN node on SQLite too unless ``--fin-url`` names an (empty) database.
With FIN's inbox stopped, N alerts releasable to FIN are written on DNK through the watch's ``save_alerts`` (one
transaction; each writes its outbox row in the same transaction). Then FIN's inbox starts (uvicorn, mutual TLS,
certificates from a CA made for the run on 127.0.0.1) and the clock measures one ``deliver_once`` pass until
FIN has committed all N. Printed: seconds to write, seconds to catch up, records/s, and a check that FIN holds
exactly N. Everything runs on loopback; nothing is left running.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.sharing.test_federation's helpers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--fin-url", default=None)
    args = ap.parse_args()

    from sqlalchemy import func, select

    from dkfi.core.db import get_engine, session_scope
    from dkfi.watch.models import AlertRecord
    from dkfi.watch.service import save_alerts
    from dkfi.sharing import outbox
    from dkfi.sharing.federation import Deliverer, TLSFiles, make_certs
    from dkfi.sharing.outbox import Partner
    from tests.sharing.test_federation import REL_FIN, Inbox, alert, free_port

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        certs = make_certs(tmp / "certs", ["DNK", "FIN"])
        dnk_url = f"sqlite:///{tmp / 'dnk.sqlite'}"
        fin_url = args.fin_url or f"sqlite:///{tmp / 'fin.sqlite'}"
        dnk, fin = get_engine(dnk_url), get_engine(fin_url)
        port = free_port()
        dnk_node = outbox.configure(dnk, "DNK", {"FIN": Partner("FIN", f"https://127.0.0.1:{port}")})
        fin_node = outbox.configure(fin, "FIN", {"DNK": Partner("DNK", "https://127.0.0.1:1")})
        t0 = time.perf_counter()
        with session_scope(dnk) as s:
            save_alerts(s, [alert(f"bench-{i:06d}") for i in range(args.n)], "DNK", REL_FIN)
        t_write = time.perf_counter() - t0
        inbox = Inbox(fin_url, fin_node, certs, port)
        inbox.start()
        try:
            d = Deliverer(dnk, dnk_node, tls=TLSFiles(certs["DNK"], certs["DNK_key"], certs["ca"]),
                          batch=args.batch, timeout=60)

            async def once():
                try:
                    return await d.deliver_once()
                finally:
                    await d.close()

            t0 = time.perf_counter()
            res = asyncio.run(once())
            t_catch = time.perf_counter() - t0
        finally:
            inbox.stop()
        with session_scope(fin) as s:
            have = s.scalar(select(func.count()).select_from(AlertRecord))
        backend = fin.dialect.name
        print(f"n={args.n} batch={args.batch} FIN on {backend}: write+outbox {t_write:.2f} s; "
              f"catch-up {t_catch:.2f} s = {args.n / t_catch:.0f} records/s; delivered {res}; FIN holds {have}")
        assert have == args.n, "FIN does not hold exactly N"
        outbox.unconfigure(dnk)
        outbox.unconfigure(fin)


if __name__ == "__main__":
    main()
