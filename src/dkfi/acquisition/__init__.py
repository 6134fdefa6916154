"""Military acquisitions: national acquisition plans, Danish-Finnish joint-procurement opportunities, savings and
timeline models, and a joint case workflow carried through both nations' approvals."""
