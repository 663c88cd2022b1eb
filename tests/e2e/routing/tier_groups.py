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

Usage: tier_groups.py [policy_groups|tier_only] (default: all).
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


def routing():
    check(tt.ROUTING.count(ADHOC_RULE) == 1, "the tier suite's routing holds the ad-hoc rule once")
    return tt.ROUTING.replace(ADHOC_RULE, GROUP_RULES)


def scope_policies_by_user(text):
    check(text.count("scope: {groups: [analysts]}") >= 1, "the policy suite scopes rules by group")
    return text.replace("scope: {groups: [analysts]}", "scope: {users: [analyst]}")


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


TESTS = {"policy_groups": lambda: run(lambda text: text), "tier_only": lambda: run(scope_policies_by_user)}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)
