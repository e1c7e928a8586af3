"""Which county of their city people live in, and how hard fraud hits each county, month by month.

The city stays the world's internal region (cells, couriers, utilities and ATMs are per city); the
county is an attribute on top. Each community lies in one county of its city, laid out so that the
people per county follow the county's residents in :mod:`fraudkit.synth.regions` (a count per
resident then means what it means on real data). Each county gets a fraud intensity: the weight
with which its people are put on fraud operations' target lists, lognormal around 1, multiplied in
the months of an ``intensity_spikes`` entry. The truth table ``regions`` records it.

Every draw comes from the streams named ``regions`` and ``regions.entities``, so the rest of the
world draws what it drew before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from fraudkit.synth.config import SynthConfig
from fraudkit.synth.population import Population
from fraudkit.synth.rand import Rng, lognormal
from fraudkit.synth.regions import AWAY_CITY_CODES, COUNTIES, COUNTY_CITY, COUNTY_CODES
from fraudkit.synth.registry import N_HOME, Registry

CODES: tuple[str, ...] = COUNTY_CODES + AWAY_CITY_CODES
"""What the ``region`` column of subscribers and accounts holds: a county's code, or the code of
the city outside the province where the SIM or account is registered."""

_CITY = np.array(COUNTY_CITY, dtype=np.int64)
_RESIDENTS = np.array([c.population for c in COUNTIES], dtype=np.float64)
_CITY_RESIDENTS = np.bincount(_CITY, weights=_RESIDENTS, minlength=N_HOME)
_BEFORE_CITY = (np.cumsum(_CITY_RESIDENTS) - _CITY_RESIDENTS)[_CITY]
_BOUNDS = _CITY + (np.cumsum(_RESIDENTS) - _BEFORE_CITY) / _CITY_RESIDENTS[_CITY]
"""City index plus the county's upper share of its city's residents: city r's counties split [r, r + 1)."""
_LAST_OF_CITY = np.flatnonzero(np.r_[_CITY[1:] != _CITY[:-1], True])


def county_at(city: np.ndarray, share: np.ndarray) -> np.ndarray:
    """The county of each home ``city`` (index) at ``share`` in [0, 1) of the city's residents
    counted county by county: a uniform ``share`` picks counties in proportion to residents."""
    city = np.asarray(city, dtype=np.int64)
    found = np.searchsorted(_BOUNDS, city + np.asarray(share, dtype=np.float64), side="right")
    return np.minimum(found, _LAST_OF_CITY[city])


@dataclass(frozen=True)
class Counties:
    """Where each person lives and the fraud intensity of each county in each month of the world."""

    person: np.ndarray  # county index of each person
    residents: np.ndarray  # people per county
    intensity: np.ndarray  # (county, month): weight of a county's people on target lists
    month_start_s: np.ndarray  # seconds from the world's start at which each month begins (the first <= 0)
    order: np.ndarray  # people, county by county
    first: np.ndarray  # where each county's people begin in ``order``

    @property
    def n_months(self) -> int:
        return len(self.month_start_s)

    def month_of(self, t: np.ndarray) -> np.ndarray:
        """Month index of each time ``t`` (seconds from the world's start)."""
        found = np.searchsorted(self.month_start_s, np.asarray(t), side="right") - 1
        return np.clip(found, 0, self.n_months - 1)

    def targets(self, u: np.ndarray, month: np.ndarray) -> np.ndarray:
        """The person each uniform number ``u`` in [0, 1) picks in ``month`` (an index): a county
        in proportion to its residents times its intensity that month, then any one of its people."""
        out = np.empty(len(u), dtype=np.int64)
        for m in np.unique(month):
            at = np.flatnonzero(month == m)
            weight = self.residents * self.intensity[:, m]
            cdf = np.cumsum(weight)
            x = u[at] * cdf[-1]
            county = np.minimum(np.searchsorted(cdf, x, side="right"), len(cdf) - 1)
            within = (x - (cdf - weight)[county]) / weight[county]
            slot = np.minimum((within * self.residents[county]).astype(np.int64), self.residents[county] - 1)
            out[at] = self.order[self.first[county] + slot]
        return out


def _month_starts(cfg: SynthConfig) -> np.ndarray:
    starts = [datetime(int(m[:4]), int(m[5:]), 1) - cfg.start for m in cfg.months]
    return np.array([int(s.total_seconds()) for s in starts], dtype=np.int64)


def build_counties(cfg: SynthConfig, pop: Population, rng: Rng) -> Counties:
    """Lay each city's communities (in random order) over its counties by their residents, a
    community going to the county its middle falls in, and draw each county's intensity."""
    comm = np.unique(pop.comm_start)  # the first person of each community, in person order
    size = pop.comm_size[comm]
    shuffled = rng.permutation(len(comm))
    laid = shuffled[np.argsort(pop.region[comm][shuffled], kind="stable")]
    city = pop.region[comm][laid].astype(np.int64)
    end = np.cumsum(size[laid])
    city_people = np.bincount(city, weights=size[laid], minlength=N_HOME)
    before = (np.cumsum(city_people) - city_people)[city]
    middle = (end - size[laid] / 2 - before) / city_people[city]
    comm_county = np.empty(len(comm), dtype=np.int64)
    comm_county[laid] = county_at(city, middle)
    person = np.repeat(comm_county, size)

    residents = np.bincount(person, minlength=len(COUNTIES)).astype(np.int64)
    raw = lognormal(rng, 1.0, cfg.county_intensity_sigma, len(COUNTIES))
    base = raw * pop.n / float((residents * raw).sum())  # mean 1 over the world's people
    months = cfg.months
    intensity = np.repeat(base[:, None], len(months), axis=1)
    for code, month, factor in cfg.intensity_spikes:
        intensity[COUNTY_CODES.index(code), months.index(month)] *= factor
    return Counties(
        person=person,
        residents=residents,
        intensity=intensity,
        month_start_s=_month_starts(cfg),
        order=np.argsort(person, kind="stable").astype(np.int64),
        first=np.cumsum(residents) - residents,
    )


def entity_regions(counties: Counties, pop: Population, reg: Registry, rng: Rng) -> tuple[np.ndarray, np.ndarray]:
    """The region of every SIM and every account, as indices into :data:`CODES`.

    A SIM or account of a person (held by them, or an account registered to their SIM) in the
    person's city is in the person's county; any other in a home city is in a county drawn by
    residents, one draw per holder (a company's accounts in one city share a county); one in a
    city outside the province carries that city's code. Persons are holders 0..n-1 and person p
    holds SIM p (:mod:`fraudkit.synth.population`).
    """
    draw = rng.random(reg.n_holders)
    phones, accounts = reg.phones(), reg.accounts()
    phone_person = np.where(phones.holder < pop.n, phones.holder, -1)
    registered_to = np.where((accounts.phone >= 0) & (accounts.phone < pop.n), accounts.phone, -1)
    account_person = np.where(accounts.holder < pop.n, accounts.holder, registered_to)
    return (
        _codes(counties, pop, phones.region, phone_person, draw[phones.holder]),
        _codes(counties, pop, accounts.region, account_person, draw[accounts.holder]),
    )


def _codes(counties: Counties, pop: Population, region: np.ndarray, person: np.ndarray, draw: np.ndarray) -> np.ndarray:
    region = region.astype(np.int64)
    home = region < N_HOME
    own = (person >= 0) & (pop.region[np.maximum(person, 0)] == region)
    county = np.where(own, counties.person[np.maximum(person, 0)], county_at(np.minimum(region, N_HOME - 1), draw))
    return np.where(home, county, len(COUNTY_CODES) + region - N_HOME)
