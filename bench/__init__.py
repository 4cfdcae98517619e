"""Benchmarks of Herald, each a script run from the repository root: `.venv/bin/python bench/NAME.py --help`.

Scripts: ack_latency, ack_under_load, digests, fanout, ownership. They put the repository root on sys.path, import the
tests' helpers from tests.support (so a figure is measured on a Herald made as the tests make it), and
share the modules beside them:

* world, history, vocabulary: the seeded store built in bulk (launches, history, directory, releases,
  digest subscriptions), and the words and mixes it is made of;
* measure: percentiles, a stopwatch, SQL statements counted with SQLAlchemy events, report lines;
* serving: Herald's settings against a fake Slack, apps served over HTTP, timed signed slash commands;
* cli: the options every script has (--database-url, --seed);
* pieces of one benchmark each: owners_file (ownership), rate_limited_slack (fanout), digest_runs and
  digest_report (digests).
"""
