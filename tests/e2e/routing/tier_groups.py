#!/usr/bin/env python3
"""Group-scoped tier rules end to end (issue 11), against the dev warehouse.

A tier rule scoped to group `analysts` sends the scans of its members (analyst) to the lake,
and not those of other sessions (etl, in no group), with the groups the governor's one
look-up found; after a SIGHUP that changes the rules, open sessions route by the new ones.
The dates asked for are all local, so only the rule can send a scan to the lake; every
result equals the same query over the complete history.

policy_groups: the policy suite as it is (its rules name group analysts too).
tier_only:     the policy rules scoped by user instead, so that only the tier rules need
               the sessions' groups.
no_policies:   no `policies:` section, so no governor: the router looks the groups up on
               the catalog's connection itself.
late_user:     users created after the proxy started, in sessions opened before a reload
               adds the first group tier rule: their groups are looked up once the reload
               makes them matter (a non-member stays local), with the policies scoped by
               user and with no policies.

Usage: tier_groups.py [policy_groups|tier_only|no_policies|late_user] (default: all).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policies"))
import harness as h  # noqa: E402
from harness import check, check_eq  # noqa: E402

import routing_tests as rt  # noqa: E402
import tier_tests as tt  # noqa: E402

PORT = rt.PORT
ADHOC_RULE = '    - {name: adhoc-to-lake, scope: {applications: ["e2e_tier_adhoc*"]}, tier: external}\n'
GROUP_RULES = "    - {name: analysts-to-lake, scope: {groups: [analysts]}, tier: external}\n"
# After the reload: analysts keep to the local table, everyone else reads the lake.
RELOADED_RULES = ("    - {name: analysts-local, scope: {groups: [analysts]}, tier: local}\n"
                  "    - {name: others-to-lake, scope: {users: ['*']}, tier: external}\n")
RECENT = ("SELECT COUNT(*), SUM(amount) FROM public.sales_fact "
          "WHERE sale_date >= '2024-11-01' AND sale_date < '2024-12-01'")


def routing_with_groups(text):
    check(text.count(ADHOC_RULE) == 1, "the routing holds the ad-hoc rule once")
    return text.replace(ADHOC_RULE, GROUP_RULES)


def routing():
    return routing_with_groups(tt.ROUTING)


def scope_policies_by_user(text):
    check(text.count("scope: {groups: [analysts]}") >= 1, "the policy suite scopes rules by group")
    return text.replace("scope: {groups: [analysts]}", "scope: {users: [analyst]}")


def without_policies(text):
    check(text.count("\npolicies:\n") == 1, "the policy suite has one policies: section, last")
    return text[:text.index("\npolicies:\n") + 1]


def expect_tiers(proxy, raw, sessions, when):
    for conn, tiers, who in sessions:
        before = tt.routed_count(proxy)
        got = tt.same_rows(conn, raw, f"{when}, {who}", RECENT)
        check(got.rows[0][0] != "0", f"{when}, {who}: rows to compare")
        check_eq(tt.tier_records(proxy, before), [tiers], f"{when}, {who}: tiers")


def run(edit_policies):
    with rt.start_proxy(routing(), edit_policies) as proxy, tt.etl() as etl, \
            h.Conn(PORT, application_name="e2e_tier_groups") as analyst, tt.reference() as raw:
        tt.wait_for_watermark(proxy, etl)
        expect_tiers(proxy, raw, ((analyst, [tt.EXT], "analyst (in analysts)"),
                                  (etl, [tt.LOCAL], "etl (in no group)")), "group rule")
        with open(proxy.config) as f:
            text = f.read()
        check(text.count(GROUP_RULES) == 1, "the config holds the group rule once")
        with open(proxy.config, "w") as f:
            f.write(text.replace(GROUP_RULES, RELOADED_RULES))
        proxy.reload()
        expect_tiers(proxy, raw, ((analyst, [tt.LOCAL], "analyst (in analysts)"),
                                  (etl, [tt.EXT], "etl (in no group)")), "after the reload")


def superuser():
    return h.Conn(h.dev_port(), "postgres", application_name="e2e_tier_groups_setup")


def late_user(edit_policies):
    """Two roles made after the proxy's catalog load, one in analysts; each logs in while no
    rule names a group (nothing is looked up), then a reload adds the group tier rule."""
    member, other = f"late_m_{os.getpid()}", f"late_o_{os.getpid()}"
    with superuser() as su:
        for role in (member, other):
            su.query(f"drop role if exists {role}")
        with rt.start_proxy(tt.ROUTING, edit_policies) as proxy, tt.etl() as etl, tt.reference() as raw:
            try:
                for role, groups in ((member, "analysts, etl"), (other, "etl")):
                    check(not su.query(f"create role {role} login password 'pw' in role {groups}").errors,
                          f"CREATE ROLE {role}")
                tt.wait_for_watermark(proxy, etl)
                with h.Conn(PORT, member, password="pw", application_name="e2e_tier_groups") as m, \
                        h.Conn(PORT, other, password="pw", application_name="e2e_tier_groups") as o:
                    expect_tiers(proxy, raw, ((m, [tt.LOCAL], "late member"), (o, [tt.LOCAL], "late other")),
                                 "no group rule yet")
                    with open(proxy.config) as f:
                        text = f.read()
                    with open(proxy.config, "w") as f:
                        f.write(routing_with_groups(text))
                    proxy.reload()
                    tt.wait_for_watermark(proxy, etl)  # the reloaded tiers read it again
                    expect_tiers(proxy, raw, ((m, [tt.EXT], "late member"), (o, [tt.LOCAL], "late other")),
                                 "after the reload")
            finally:
                for role in (member, other):
                    su.query(f"drop role if exists {role}")


TESTS = {"policy_groups": lambda: run(lambda text: text), "tier_only": lambda: run(scope_policies_by_user),
         "no_policies": lambda: run(without_policies),
         "late_user": lambda: (late_user(scope_policies_by_user), late_user(without_policies))}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)
