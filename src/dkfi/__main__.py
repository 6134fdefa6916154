from dkfi.cli.main import app

app(prog_name="dkfi")
