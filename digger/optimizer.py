"""The cart optimizer's mathematics: which offers to buy, from which sellers, as a mixed-integer program.

Pure (no database): services/cart.py turns listings into a `Problem` and the `Solution` into a plan.

Variables: x_l = 1 when offer l is bought, y_s = 1 when seller s is used. A seller's landed cost for k >= 1
items is (1 + duty_s) * (sum of their prices + base_s + extra_s * (k - 1)), which is linear:

    minimise  sum_l (1 + duty_s(l)) * (price_l + extra_s(l)) * x_l  +  sum_s (1 + duty_s) * (base_s - extra_s) * y_s

    subject to  sum_{l of want w} x_l <= 1            (= 1 when w is a must-have)
                x_l <= y_s(l)                         (buy only from a used seller)
                y_s <= sum_{l of s} x_l               (a used seller ships something; needed when extra > base)
                landed cost <= budget                 (optional)
                sum_s y_s <= max_sellers              (optional)
                sum_l x_l >= K                        (see below)

Minimising cost alone would buy nothing, so the solve is lexicographic: first the most wants that can
be bought (K), then the cheapest way to buy K of them. Without a budget or a seller limit K is simply
the number of wants with an offer; with one, a first MILP maximises the count. HiGHS runs with a
zero relative gap, so "optimal" means proven optimal; on a time limit the best plan found is returned
with the remaining gap.
"""
from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix


@dataclass(frozen=True)
class Offer:
    """One listing that passed every filter, its price already in the user's currency."""

    key: int
    want: int
    seller: str
    price: float


@dataclass(frozen=True)
class Seller:
    """A seller's shipping (first item, each further item) and the duty rate on goods from their country."""

    key: str
    base: float
    extra: float
    duty: float = 0.0


@dataclass
class Problem:
    offers: list[Offer]
    sellers: dict[str, Seller]
    must_have: set[int] = field(default_factory=set)
    budget: float | None = None
    max_sellers: int | None = None


@dataclass
class Solution:
    status: str  # "optimal", "feasible" (time limit, gap remains), "infeasible"
    chosen: list[int]
    cost: float
    optimal: bool
    gap: float | None = None
    seconds: float = 0.0

    @property
    def covered(self) -> int:
        return len(self.chosen)


def plan_cost(problem: Problem, chosen: Iterable[int]) -> float:
    """The landed cost of buying exactly these offers (the objective, evaluated directly)."""
    by_key = {o.key: o for o in problem.offers}
    per_seller: dict[str, list[float]] = defaultdict(list)
    for key in chosen:
        offer = by_key[key]
        per_seller[offer.seller].append(offer.price)
    total = 0.0
    for seller_key, prices in per_seller.items():
        seller = problem.sellers[seller_key]
        total += (1 + seller.duty) * (sum(prices) + seller.base + seller.extra * (len(prices) - 1))
    return total


def alone_cost(problem: Problem, offer: Offer) -> float:
    """What one offer costs bought on its own (its seller's first-item shipping, duty)."""
    seller = problem.sellers[offer.seller]
    return (1 + seller.duty) * (offer.price + seller.base)


def greedy(problem: Problem) -> list[int]:
    """The baseline: for each want, the offer that is cheapest bought alone (no budget or seller limit)."""
    best: dict[int, Offer] = {}
    for offer in problem.offers:
        current = best.get(offer.want)
        if current is None or alone_cost(problem, offer) < alone_cost(problem, current):
            best[offer.want] = offer
    return [o.key for o in best.values()]


def _feasible(problem: Problem, chosen: tuple[Offer, ...]) -> bool:
    wants = [o.want for o in chosen]
    if len(wants) != len(set(wants)) or not problem.must_have <= set(wants):
        return False
    if problem.max_sellers is not None and len({o.seller for o in chosen}) > problem.max_sellers:
        return False
    if problem.budget is not None and plan_cost(problem, [o.key for o in chosen]) > problem.budget + 1e-9:
        return False
    return True


def brute_force(problem: Problem) -> Solution:
    """Every subset of offers (for tests on small instances): the most wants, then the lowest cost."""
    best: tuple[int, float, list[int]] | None = None
    offers = problem.offers
    for size in range(len(offers) + 1):
        for combo in itertools.combinations(offers, size):
            if not _feasible(problem, combo):
                continue
            cost = plan_cost(problem, [o.key for o in combo])
            if best is None or size > best[0] or (size == best[0] and cost < best[1] - 1e-9):
                best = (size, cost, [o.key for o in combo])
    if best is None:
        return Solution(status="infeasible", chosen=[], cost=0.0, optimal=True)
    return Solution(status="optimal", chosen=sorted(best[2]), cost=best[1], optimal=True)


class _Model:
    """The shared matrices of both stages."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        offers = problem.offers
        self.seller_keys = sorted({o.seller for o in offers})
        seller_index = {key: i for i, key in enumerate(self.seller_keys)}
        self.n, self.m = len(offers), len(self.seller_keys)
        n, m = self.n, self.m
        sellers = [problem.sellers[k] for k in self.seller_keys]
        self.cost = np.zeros(n + m)
        for i, offer in enumerate(offers):
            s = sellers[seller_index[offer.seller]]
            self.cost[i] = (1 + s.duty) * (offer.price + s.extra)
        for j, s in enumerate(sellers):
            self.cost[n + j] = (1 + s.duty) * (s.base - s.extra)
        rows, cols, vals, lb, ub = [], [], [], [], []
        row = 0
        by_want: dict[int, list[int]] = defaultdict(list)
        for i, offer in enumerate(offers):
            by_want[offer.want].append(i)
        for want, indexes in by_want.items():
            rows += [row] * len(indexes)
            cols += indexes
            vals += [1.0] * len(indexes)
            lb.append(1.0 if want in problem.must_have else 0.0)
            ub.append(1.0)
            row += 1
        for i, offer in enumerate(offers):  # x_l - y_s <= 0
            j = n + seller_index[offer.seller]
            rows += [row, row]
            cols += [i, j]
            vals += [1.0, -1.0]
            lb.append(-np.inf)
            ub.append(0.0)
            row += 1
        by_seller: dict[int, list[int]] = defaultdict(list)
        for i, offer in enumerate(offers):
            by_seller[seller_index[offer.seller]].append(i)
        for j, indexes in by_seller.items():  # y_s - sum x_l <= 0
            rows += [row] * (len(indexes) + 1)
            cols += [n + j, *indexes]
            vals += [1.0] + [-1.0] * len(indexes)
            lb.append(-np.inf)
            ub.append(0.0)
            row += 1
        self.wants = len(by_want)
        self.base = LinearConstraint(coo_matrix((vals, (rows, cols)), shape=(row, n + m)).tocsr(), lb, ub)
        self.extra: list[LinearConstraint] = []
        if problem.budget is not None:
            self.extra.append(LinearConstraint(self.cost.reshape(1, -1), -np.inf, problem.budget))
        if problem.max_sellers is not None:
            self.extra.append(LinearConstraint(np.r_[np.zeros(n), np.ones(m)].reshape(1, -1), -np.inf,
                                               problem.max_sellers))

    def run(self, objective: np.ndarray, constraints: list[LinearConstraint], time_limit: float):
        return milp(objective, integrality=np.ones(self.n + self.m), bounds=Bounds(0, 1),
                    constraints=[self.base, *self.extra, *constraints],
                    options={"time_limit": max(0.5, time_limit), "mip_rel_gap": 0.0, "disp": False})


def solve(problem: Problem, *, time_limit: float = 20.0) -> Solution:
    """The cheapest plan that buys the most wants (see the module docstring); never raises on infeasibility."""
    started = time.monotonic()
    if not problem.must_have <= {o.want for o in problem.offers}:  # a must-have nothing offers
        return Solution(status="infeasible", chosen=[], cost=0.0, optimal=True)
    if not problem.offers:
        return Solution(status="optimal", chosen=[], cost=0.0, optimal=True)
    model = _Model(problem)
    n = model.n
    count_row = np.r_[np.ones(n), np.zeros(model.m)].reshape(1, -1)
    proven = True
    gap: float | None = 0.0
    if problem.budget is None and problem.max_sellers is None:
        target = model.wants  # every want with an offer can be bought: the first stage is trivial
    else:
        first = model.run(-count_row.ravel(), [], time_limit / 2)
        if first.x is None:
            return Solution(status="infeasible", chosen=[], cost=0.0, optimal=first.status == 2,
                            seconds=time.monotonic() - started)
        target = int(round(-first.fun)) if first.status == 0 else int(round(count_row.ravel() @ first.x))
        proven = first.status == 0
    remaining = time_limit - (time.monotonic() - started)
    second = model.run(model.cost, [LinearConstraint(count_row, target - 0.5, np.inf)], remaining)
    if second.x is None:
        return Solution(status="infeasible", chosen=[], cost=0.0, optimal=second.status == 2,
                        seconds=time.monotonic() - started)
    chosen = sorted(problem.offers[i].key for i in range(n) if second.x[i] > 0.5)
    proven = proven and second.status == 0
    if not proven:
        gap = float(getattr(second, "mip_gap", math.nan))
        gap = None if math.isnan(gap) else gap
    return Solution(status="optimal" if proven else "feasible", chosen=chosen, cost=plan_cost(problem, chosen),
                    optimal=proven, gap=gap, seconds=time.monotonic() - started)
