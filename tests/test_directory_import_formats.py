"""Owners files in every format become records, and what cannot be read is reported as file:line."""

from __future__ import annotations

from pathlib import Path

from bot.directory.imports.formats import read_owner_file, read_owner_files
from bot.directory.imports.records import ComponentRecord, OwnerFile, Source
from tests.support.slack_requests import FIXTURES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BACKSTAGE = FIXTURES / "backstage"
NODEJS = FIXTURES / "codeowners" / "nodejs-node.CODEOWNERS"
CPYTHON = FIXTURES / "codeowners" / "python-cpython.CODEOWNERS"


def components(found: OwnerFile) -> dict[str, ComponentRecord]:
    return {component.name: component for component in found.components}


def problems(found: OwnerFile, folder: Path) -> list[str]:
    """The report as printed, with paths relative to the folder the test wrote its files in."""
    return [str(problem).removeprefix(f"{folder}/") for problem in found.problems]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# Herald YAML and CSV


def test_yaml_example_reads_teams_and_components_with_their_lines():
    found = read_owner_file(EXAMPLES / "owners.yaml")

    assert found.problems == []
    payments = found.teams[0]
    assert (payments.name, payments.display_name, payments.channel) == ("payments", "Payments squad", "#payments")
    assert payments.members == ["ava@example.com", "@ben", "U0CHIARA"]
    checkout = components(found)["checkout-api"]
    assert (checkout.kind, checkout.team, checkout.primary, checkout.backup) == ("service", "payments",
                                                                                 "ava@example.com", "@ben")
    assert checkout.aliases == ["checkout", "payments api"]
    assert checkout.escalation == "Page payments-oncall, then post in #incidents"
    assert str(checkout.source) == f"{EXAMPLES / 'owners.yaml'}:19"


def test_yaml_aliases_and_tags_may_be_comma_separated_text():
    invoicing = components(read_owner_file(EXAMPLES / "owners.yaml"))["invoicing"]

    assert invoicing.aliases == ["billing", "invoices"]
    assert invoicing.tags == ["payments"]
    assert invoicing.kind == "service" and invoicing.primary == "U0CHIARA"


def test_csv_example_splits_aliases_and_tags_on_semicolons_and_numbers_data_rows():
    found = read_owner_file(EXAMPLES / "owners.csv")

    assert found.problems == []
    search = components(found)["search"]
    assert search.aliases == ["find", "autocomplete"] and search.tags == ["tier-1", "discovery"]
    assert search.escalation == "Page discovery-oncall, then #incidents"
    assert search.source.line == 2
    assert components(found)["recommendations"].description == '"You may also like" on product pages'
    pricing = components(found)["pricing-page"]
    assert (pricing.team, pricing.backup, pricing.kind) == (None, None, "page")


def test_csv_unknown_column_is_reported_once_and_its_rows_still_read(tmp_path):
    write(tmp_path, "owners.csv", "name,owner,team\napi,ann,core\nweb,bob,core\n")

    found = read_owner_file(tmp_path / "owners.csv")

    assert problems(found, tmp_path) == [
        "owners.csv:1: unknown column 'owner' (known: name, kind, description, aliases, tags, team, primary, "
        "backup, channel, escalation, runbook, repo); its values are ignored"]
    assert [(c.name, c.team) for c in found.components] == [("api", "core"), ("web", "core")]


def test_csv_row_numbers_count_lines_of_quoted_cells(tmp_path):
    write(tmp_path, "owners.csv", 'name,description,primary\napi,"two\nlines",ann@example.com\n,no name,\n'
                                  "web,,bob@\n")

    found = read_owner_file(tmp_path / "owners.csv")

    assert problems(found, tmp_path) == [
        "owners.csv:4: component has no name",
        "owners.csv:5: primary 'bob@' is not an e-mail, @handle, Slack user ID or Backstage user: reference",
    ]
    assert [c.name for c in found.components] == ["api"]


def test_broken_csv_is_one_problem_at_the_line_where_it_breaks(tmp_path):
    write(tmp_path, "owners.csv", 'name,team\napi,core\n"web"x,core\n')

    found = read_owner_file(tmp_path / "owners.csv")

    assert problems(found, tmp_path) == ["owners.csv:3: not valid CSV: ',' expected after '\"'"]
    assert found.components == []


def test_invalid_yaml_is_reported_at_the_line_of_the_error(tmp_path):
    write(tmp_path, "owners.yaml", "components:\n  - name: api\n    primary: @ann\n")

    found = read_owner_file(tmp_path / "owners.yaml")

    assert problems(found, tmp_path) == ["owners.yaml:3: not valid YAML: found character '@' that cannot start any token"]
    assert found.components == []


def test_entries_with_problems_are_left_out_and_every_problem_is_listed(tmp_path):
    write(tmp_path, "owners.yaml", """\
teams:
  - display_name: Nobody
  - name: core
    channel: general
    members: [ann@example.com, ann@example]
components:
  - name: api
    team: core
  - kind: service
  - name: web
    runbook: wiki/web
    repo: ftp://example.com/web
  - name: worker
    owner: ann@example.com
  - name: {}
""")

    found = read_owner_file(tmp_path / "owners.yaml")

    assert problems(found, tmp_path) == [
        "owners.yaml:2: team has no name",
        "owners.yaml:3: channel 'general' is not a #name or a channel ID",
        "owners.yaml:3: members 'ann@example' is not an e-mail, @handle, Slack user ID or Backstage user: reference",
        "owners.yaml:9: component has no name",
        "owners.yaml:10: runbook 'wiki/web' is not an http(s) URL",
        "owners.yaml:10: repo 'ftp://example.com/web' is not an http(s) URL",
        "owners.yaml:13: unknown key 'owner' (known: name, kind, description, aliases, tags, team, primary, backup, "
        "channel, escalation, runbook, repo)",
        "owners.yaml:15: name should be text, not a list or mapping",
    ]
    assert found.teams == [] and [c.name for c in found.components] == ["api"]


def test_unquoted_channel_that_yaml_reads_as_a_comment_is_reported(tmp_path):
    write(tmp_path, "owners.yaml", "components:\n  - name: api\n    channel: #api\n")

    assert problems(read_owner_file(tmp_path / "owners.yaml"), tmp_path) == [
        "owners.yaml:2: channel is empty: a value starting with # is a YAML comment, so quote it"]


def test_duplicate_names_across_files_compare_as_slugs_and_report_the_second(tmp_path):
    write(tmp_path, "a.yaml", "components:\n  - name: Checkout API\n")
    write(tmp_path, "b.csv", "name,kind\nsearch,service\ncheckout_api,service\n")

    found = read_owner_files([tmp_path])

    assert problems(found, tmp_path) == [
        f"b.csv:3: duplicate component name 'checkout_api': {tmp_path}/a.yaml:2 names 'Checkout API'"]
    assert [c.name for c in found.components] == ["Checkout API", "search"]


def test_names_over_eighty_characters_are_refused(tmp_path):
    write(tmp_path, "owners.yaml", f"components:\n  - name: {'x' * 81}\n  - name: {'y' * 80}\n")

    found = read_owner_file(tmp_path / "owners.yaml")

    assert problems(found, tmp_path) == ["owners.yaml:2: name is 81 characters long; the limit is 80"]
    assert [len(c.name) for c in found.components] == [80]


def test_yaml_that_is_no_owners_format_is_one_problem_at_line_1():
    found = read_owner_file(FIXTURES / "slack" / "manifest.node-tasks-app.yml")

    assert [(p.source.line, p.message) for p in found.problems] == [
        (1, "not an owners file: expected Herald YAML or CSV, CODEOWNERS, or a Backstage catalog")]


# CODEOWNERS


def test_codeowners_owned_only_by_teams_has_no_user_primaries():
    found = read_owner_file(NODEJS)
    paths = components(found)

    assert all(c.kind == "path" and c.primary is None and c.backup is None for c in found.components)
    assert paths["/.github/CODEOWNERS"].team == "@nodejs/tsc"
    assert paths["/BUILDING.md"].team == "@nodejs/build"  # the first of several teams
    assert paths["*.gyp"].team == "@nodejs/gyp"
    assert {"@nodejs/tsc", "@nodejs/http2", "@nodejs/path"} <= {team.name for team in found.teams}
    assert len(found.teams) == 31


def test_codeowners_paths_are_kept_as_written_even_when_their_slugs_collide():
    found = read_owner_file(NODEJS)

    assert found.problems == []
    names = {component.name for component in found.components}
    assert {"/lib/_stream*", "/lib/stream/*", "/src/inspector/*", "/src/inspector_*"} <= names
    assert max(len(name) for name in names) == 82  # a long path is still a path
    assert len(found.components) == 151


def test_codeowners_users_become_primary_and_backup_and_teams_stay_teams():
    found = read_owner_file(CPYTHON)
    paths = components(found)

    assert found.problems == []
    assert (paths[".github/"].primary, paths[".github/"].backup) == ("@ezio-melotti", "@hugovk")
    assert (paths["Tools/build/compute-changes.py"].primary, paths["Tools/build/compute-changes.py"].backup) == (
        "@AA-Turner", None)
    assert (paths["**/*mail*"].team, paths["**/*mail*"].primary) == ("@python/email-team", None)
    launcher = paths["PC/launcher.c"]
    assert (launcher.team, launcher.primary) == ("@python/windows-team", "@vsajip")
    assert [team.name for team in found.teams] == ["@python/macos-team", "@python/windows-team", "@python/email-team"]


def test_codeowners_lines_without_owners_are_exclusions_not_components():
    paths = components(read_owner_file(CPYTHON))

    assert ".mailmap" not in paths
    assert "Modules/clinic/" not in paths and "Python/clinic/" not in paths
    assert paths["Python/pytime.c"].source.line < 581  # the exclusions section starts at line 581
    assert len(paths) == 331


def test_codeowners_exclusions_unown_earlier_patterns(tmp_path):
    write(tmp_path, "CODEOWNERS", "docs/  @ann\n/api/ @org/api-team\ndocs/\n")

    found = read_owner_file(tmp_path / "CODEOWNERS")

    assert [c.name for c in found.components] == ["/api/"]


def test_codeowners_last_line_for_a_pattern_wins(tmp_path):
    write(tmp_path, "CODEOWNERS", "*.js @ann @org/web\n/api/ @bob\n*.js    @carl dora@example.com\n")

    found = read_owner_file(tmp_path / "CODEOWNERS")
    js = components(found)["*.js"]

    assert [c.name for c in found.components] == ["/api/", "*.js"]
    assert (js.primary, js.backup, js.team, js.source.line) == ("@carl", "dora@example.com", None, 3)
    assert [team.name for team in found.teams] == ["@org/web"]  # seen earlier, still a team


def test_codeowners_comments_aligned_columns_and_non_ascii(tmp_path):
    write(tmp_path, "team.CODEOWNERS", "# Owners\n\ndocs/μop/\t\t@ann   @bob  # the μop docs\n  \n")

    found = read_owner_file(tmp_path / "team.CODEOWNERS")

    assert [(c.name, c.primary, c.backup, c.source.line) for c in found.components] == [
        ("docs/μop/", "@ann", "@bob", 3)]


def test_codeowners_is_recognised_by_content_whatever_the_name(tmp_path):
    write(tmp_path, "owners", "# who reviews what\n/src/ @org/core\n/docs/ ann@example.com\n")

    found = read_owner_file(tmp_path / "owners")

    assert found.problems == []
    assert [(c.name, c.team, c.primary) for c in found.components] == [
        ("/src/", "@org/core", None), ("/docs/", None, "ann@example.com")]


# Backstage


def test_backstage_component_owned_by_a_group_has_that_team_and_its_repo_link():
    petstore = components(read_owner_file(BACKSTAGE / "components" / "petstore-component.yaml"))["petstore"]

    assert (petstore.kind, petstore.team, petstore.primary) == ("component", "team-c", None)
    assert petstore.repo == "https://github.com/swagger-api/swagger-petstore"
    assert petstore.description == "The Petstore is an example API used to show features of the OpenAPI spec."


def test_backstage_kinds_titles_and_tags_become_component_fields():
    found = read_owner_files([BACKSTAGE / "all-domains.yaml", BACKSTAGE / "apis" / "spotify-api.yaml"])
    read = components(found)

    assert (read["artists"].kind, read["artists"].aliases) == ("domain", ["Artists"])
    assert read["artists"].repo == "http://example.com/domain/artists/"  # the first link
    assert (read["spotify"].kind, read["spotify"].tags, read["spotify"].team) == ("api", ["spotify", "rest"], "team-a")
    assert read["audio"].team == "acme-corp"


def test_backstage_user_owners_become_contacts_once_users_are_read():
    alone = components(read_owner_files([BACKSTAGE / "components"]))
    with_users = components(read_owner_files([BACKSTAGE / "acme", BACKSTAGE / "components", BACKSTAGE / "domains"]))

    assert (alone["searcher"].primary, alone["playback-order"].team) == ("user:guest", "guest")
    assert (with_users["searcher"].team, with_users["searcher"].primary) == (None, "guest@example.com")
    assert (with_users["playback-order"].team, with_users["playback-order"].primary) == (None, "guest@example.com")
    assert with_users["playback"].primary == "frank-tiernan@example.com"


def test_backstage_groups_become_teams_and_users_join_them_by_email():
    teams = {team.name: team for team in read_owner_file(BACKSTAGE / "acme" / "org.yaml").teams}

    assert set(teams) == {"acme-corp", "infrastructure", "boxoffice", "backstage",
                          "team-a", "team-b", "team-c", "team-d", "team-e"}
    assert (teams["team-a"].display_name, teams["team-b"].display_name) == (None, "Team B")
    assert teams["team-a"].members == ["breanna-davison@example.com", "janelle-dawe@example.com",
                                       "nigel-manning@example.com", "guest@example.com"]  # two guests, one e-mail
    assert "frank-tiernan@example.com" in teams["team-c"].members


def test_backstage_location_reads_existing_targets_and_skips_missing_ones():
    found = read_owner_file(BACKSTAGE / "all-components.yaml")

    assert found.problems == []
    assert len(found.components) == 11
    assert found.components[0].source == Source(str(BACKSTAGE / "components" / "artist-lookup-component.yaml"), 1)


def test_backstage_apis_named_like_the_components_providing_them_are_separate_entries():
    found = read_owner_files([BACKSTAGE])

    assert found.problems == []
    assert sorted(c.kind for c in found.components if c.name == "wayback-search") == ["api", "component"]
    assert len(found.components) == 21 and len(found.teams) == 9


def test_backstage_annotations_and_runbook_links(tmp_path):
    write(tmp_path, "catalog-info.yaml", """\
apiVersion: backstage.io/v1alpha1
kind: Template
metadata: {name: skipped}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  annotations:
    github.com/project-slug: example/billing
    pagerduty.com/service-id: PBILL01
    slack.com/channel: billing-alerts
  links:
    - {url: "https://wiki.example.com/billing", title: Wiki}
    - {url: "https://wiki.example.com/ops/billing", title: Runbook}
spec:
  owner: group:default/payments
""")

    found = read_owner_file(tmp_path / "catalog-info.yaml")

    billing = components(found)["billing"]
    assert found.problems == [] and list(components(found)) == ["billing"]
    assert (billing.team, billing.channel, billing.escalation) == ("payments", "#billing-alerts",
                                                                   "pagerduty.com/service-id: PBILL01")
    assert (billing.runbook, billing.repo) == ("https://wiki.example.com/ops/billing",
                                               "https://github.com/example/billing")
    assert billing.source.line == 5


def test_directories_are_walked_for_owners_files_only(tmp_path):
    (tmp_path / ".github").mkdir()
    write(tmp_path / ".github", "CODEOWNERS", "/src/ @org/core\n")
    write(tmp_path, "notes.txt", "not read\n")
    write(tmp_path, "owners.yaml", "teams:\n  - name: core\n")

    found = read_owner_files([tmp_path])

    assert found.problems == []
    assert [c.name for c in found.components] == ["/src/"]
    assert [team.name for team in found.teams] == ["core", "@org/core"]
