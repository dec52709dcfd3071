import asyncio

from bench.run import main, parse

raise SystemExit(asyncio.run(main(parse())))
