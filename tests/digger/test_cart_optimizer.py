"""The cart MILP: equal to brute force on small random instances, and never breaks a constraint."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digger.optimizer import Offer, Problem, Seller, brute_force, greedy, plan_cost, solve

BRUTE_FORCE_INSTANCES = 300


def random_problem(rng: random.Random, *, listings: int) -> Problem:
    wants = rng.randint(1, 6)
    seller_count = rng.randint(1, 5)
    sellers = {f"s{j}": Seller(key=f"s{j}", base=rng.choice([0.0, 3.0, 5.5, 8.0, 15.0]),
                               extra=rng.choice([0.0, 1.0, 2.5, 6.0, 10.0]), duty=rng.choice([0.0, 0.0, 0.2]))
               for j in range(seller_count)}
    offers = [Offer(key=i, want=rng.randrange(wants), seller=f"s{rng.randrange(seller_count)}",
                    price=round(rng.uniform(1, 40), 2)) for i in range(listings)]
    offered = sorted({o.want for o in offers})
    return Problem(offers=offers, sellers=sellers,
                   must_have={w for w in offered if rng.random() < 0.2} | ({wants + 1} if rng.random() < 0.03 else set()),
                   budget=rng.choice([None, None, round(rng.uniform(5, 150), 2)]),
                   max_sellers=rng.choice([None, None, 1, 2, 3]))


def test_cart_solve_equals_brute_force_on_300_random_instances_up_to_12_listings():
    rng = random.Random(20261201)
    compared = infeasible = 0
    for _ in range(BRUTE_FORCE_INSTANCES):
        problem = random_problem(rng, listings=rng.randint(0, 12))
        exact, milp = brute_force(problem), solve(problem)
        assert milp.status != "feasible"  # tiny instances are always proven optimal
        assert (milp.status == "infeasible") == (exact.status == "infeasible"), problem
        if exact.status == "infeasible":
            infeasible += 1
            continue
        assert milp.covered == exact.covered, problem
        assert milp.cost == pytest.approx(exact.cost, abs=1e-6), problem
        assert plan_cost(problem, milp.chosen) == pytest.approx(milp.cost)
        compared += 1
    assert compared + infeasible == BRUTE_FORCE_INSTANCES and compared > 250


def test_cart_solve_bundles_a_seller_when_shipping_makes_it_cheaper_than_greedy():
    sellers = {"bundle": Seller(key="bundle", base=12.0, extra=1.0), "a": Seller(key="a", base=9.0, extra=2.0),
               "b": Seller(key="b", base=9.0, extra=2.0)}
    offers = [Offer(key=1, want=1, seller="bundle", price=10.0), Offer(key=2, want=2, seller="bundle", price=10.0),
              Offer(key=3, want=1, seller="a", price=8.0), Offer(key=4, want=2, seller="b", price=8.0)]
    problem = Problem(offers=offers, sellers=sellers)
    assert sorted(greedy(problem)) == [3, 4] and plan_cost(problem, [3, 4]) == 34.0
    plan = solve(problem)
    assert plan.chosen == [1, 2] and plan.cost == pytest.approx(33.0) and plan.optimal


def test_cart_solve_with_an_unreachable_must_have_is_infeasible_not_an_error():
    problem = Problem(offers=[Offer(key=1, want=1, seller="a", price=5.0)],
                      sellers={"a": Seller(key="a", base=1.0, extra=1.0)}, must_have={2})
    assert solve(problem).status == "infeasible"


def test_cart_solve_reports_a_gap_or_proof_under_a_time_limit():
    rng = random.Random(3)
    problem = random_problem(rng, listings=12)
    result = solve(problem, time_limit=5)
    assert result.optimal and result.status == "optimal" and result.gap in (0.0, None)


offers_strategy = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(100, 5000)), min_size=1,
                           max_size=14)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=offers_strategy, budget=st.one_of(st.none(), st.integers(0, 20000)),
       max_sellers=st.one_of(st.none(), st.integers(1, 4)), must=st.sets(st.integers(0, 5), max_size=2),
       shipping=st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 800)), min_size=4, max_size=4))
def test_cart_plan_never_breaks_budget_seller_limit_or_one_copy_per_want(rows, budget, max_sellers, must, shipping):
    sellers = {f"s{j}": Seller(key=f"s{j}", base=b / 100, extra=e / 100) for j, (b, e) in enumerate(shipping)}
    offers = [Offer(key=i, want=w, seller=f"s{s}", price=p / 100) for i, (w, s, p) in enumerate(rows)]
    problem = Problem(offers=offers, sellers=sellers, must_have=set(must),
                      budget=budget / 100 if budget is not None else None, max_sellers=max_sellers)
    plan = solve(problem)
    if plan.status == "infeasible":
        return
    chosen = [o for o in offers if o.key in plan.chosen]
    assert len({o.want for o in chosen}) == len(chosen)
    assert problem.must_have <= {o.want for o in chosen}
    if problem.budget is not None:
        assert plan_cost(problem, plan.chosen) <= problem.budget + 1e-6
    if max_sellers is not None:
        assert len({o.seller for o in chosen}) <= max_sellers
