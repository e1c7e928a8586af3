"""The entities of the world (holders, handsets, SIMs, accounts, cells) as numpy columns.

Stages add entities as they create them and refer to them by integer index; the
strings users see (phone numbers, card numbers, holder ids) are drawn only when the
tables are built, so an index never leaks into an identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fraudkit.schema import ACCOUNT_TYPES, CHANNELS, TXN_STATUSES
from fraudkit.synth.regions import CITIES

BANKS = ("ICBC", "CCB", "ABC", "BOC", "BOCOM", "CMB", "PSBC", "CIB")
BANK_BINS = (622202, 621700, 622848, 621661, 622260, 621483, 621799, 622909)
BANK_SHARES = np.array([0.2, 0.18, 0.16, 0.12, 0.08, 0.1, 0.1, 0.06])

# The city is the world's internal region (cells, couriers, utilities, ATMs are per city); the
# county a person lives in is an attribute (fraudkit.synth.counties).
HOME_REGIONS = ("shenzhen", "guangzhou", "dongguan", "foshan", "huizhou", "zhuhai", "shantou", "zhanjiang")
HOME_REGION_SHARES = np.array([c.population for c in CITIES], dtype=np.float64) / sum(c.population for c in CITIES)
"""People live in the home cities as their residents do (fraudkit.synth.regions): a count per
resident then compares across cities as it would on real data."""
AWAY_REGIONS = ("nanning", "kunming", "xiamen", "changsha", "haikou", "guiyang")
REGIONS = HOME_REGIONS + AWAY_REGIONS
REGION_CODES = ("SZ", "GZ", "DG", "FS", "HZ", "ZH", "ST", "ZJ", "NN", "KM", "XM", "CS", "HK", "GY")
"""The prefix of each region's cell ids."""
N_HOME = len(HOME_REGIONS)

PLANS = ("4g-basic", "5g-standard", "5g-premium", "family-share", "prepaid", "enterprise")
PERSON_PLAN_SHARES = np.array([0.25, 0.35, 0.12, 0.18, 0.10, 0.0])

ACCOUNT_KIND = {name: i for i, name in enumerate(ACCOUNT_TYPES)}
CHANNEL = {name: i for i, name in enumerate(CHANNELS)}
STATUS = {name: i for i, name in enumerate(TXN_STATUSES)}

CELLS_PER_PERSON = 1 / 150


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


@dataclass
class Registry:
    """Growing columns of SIMs and accounts plus counters for holders and handsets."""

    n_holders: int = 0
    n_devices: int = 0
    cell_region: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    _phones: dict[str, list[np.ndarray]] = field(default_factory=dict)
    _accounts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    _n_phones: int = 0
    _n_accounts: int = 0

    PHONE_COLUMNS = ("holder", "onnet", "device", "region", "roam_region", "activated_s", "plan", "home_cell")
    ACCOUNT_COLUMNS = ("holder", "phone", "bank", "opened_s", "kind", "region")

    @property
    def n_phones(self) -> int:
        return self._n_phones

    @property
    def n_accounts(self) -> int:
        return self._n_accounts

    def new_holders(self, n: int) -> np.ndarray:
        """Indices of ``n`` new persons or companies."""
        out = np.arange(self.n_holders, self.n_holders + n, dtype=np.int64)
        self.n_holders += n
        return out

    def new_devices(self, n: int) -> np.ndarray:
        """Indices of ``n`` new handsets (each gets an IMEI)."""
        out = np.arange(self.n_devices, self.n_devices + n, dtype=np.int64)
        self.n_devices += n
        return out

    def add_phones(self, **cols: np.ndarray) -> np.ndarray:
        """Append SIMs (columns as in PHONE_COLUMNS) and return their indices."""
        n = _check_columns(cols, self.PHONE_COLUMNS)
        for name in self.PHONE_COLUMNS:
            self._phones.setdefault(name, []).append(np.asarray(cols[name]))
        out = np.arange(self._n_phones, self._n_phones + n, dtype=np.int64)
        self._n_phones += n
        return out

    def add_offnet_numbers(self, holders: np.ndarray, region: np.ndarray) -> np.ndarray:
        """Numbers of other operators (or stale ones) known only from bank records or calls."""
        n = len(holders)
        return self.add_phones(
            holder=holders,
            onnet=np.zeros(n, dtype=bool),
            device=np.full(n, -1),
            region=region,
            roam_region=region,
            activated_s=np.zeros(n, dtype=np.int64),
            plan=np.zeros(n, dtype=np.int8),
            home_cell=np.full(n, -1),
        )

    def add_accounts(self, **cols: np.ndarray) -> np.ndarray:
        """Append accounts (columns as in ACCOUNT_COLUMNS) and return their indices."""
        n = _check_columns(cols, self.ACCOUNT_COLUMNS)
        for name in self.ACCOUNT_COLUMNS:
            self._accounts.setdefault(name, []).append(np.asarray(cols[name]))
        out = np.arange(self._n_accounts, self._n_accounts + n, dtype=np.int64)
        self._n_accounts += n
        return out

    def phones(self) -> PhoneColumns:
        """All SIMs so far as one set of columns."""
        p = self._phones
        return PhoneColumns(
            holder=_cat(p.get("holder", []), np.int64),
            onnet=_cat(p.get("onnet", []), np.bool_),
            device=_cat(p.get("device", []), np.int64),
            region=_cat(p.get("region", []), np.int16),
            roam_region=_cat(p.get("roam_region", []), np.int16),
            activated_s=_cat(p.get("activated_s", []), np.int64),
            plan=_cat(p.get("plan", []), np.int8),
            home_cell=_cat(p.get("home_cell", []), np.int64),
        )

    def accounts(self) -> AccountColumns:
        """All accounts so far as one set of columns."""
        a = self._accounts
        return AccountColumns(
            holder=_cat(a.get("holder", []), np.int64),
            phone=_cat(a.get("phone", []), np.int64),
            bank=_cat(a.get("bank", []), np.int8),
            opened_s=_cat(a.get("opened_s", []), np.int64),
            kind=_cat(a.get("kind", []), np.int8),
            region=_cat(a.get("region", []), np.int16),
        )


def _check_columns(cols: dict[str, np.ndarray], names: tuple[str, ...]) -> int:
    if set(cols) != set(names):
        raise ValueError(f"columns {sorted(cols)} differ from {sorted(names)}")
    lengths = {len(np.asarray(v)) for v in cols.values()}
    if len(lengths) != 1:
        raise ValueError(f"columns have different lengths: {lengths}")
    return lengths.pop()


@dataclass(frozen=True)
class PhoneColumns:
    """One row per SIM (on-net) or known number (off-net); -1 means none."""

    holder: np.ndarray
    onnet: np.ndarray
    device: np.ndarray
    region: np.ndarray
    roam_region: np.ndarray
    activated_s: np.ndarray
    plan: np.ndarray
    home_cell: np.ndarray


@dataclass(frozen=True)
class AccountColumns:
    """One row per bank or payment account; phone -1 when none is registered."""

    holder: np.ndarray
    phone: np.ndarray
    bank: np.ndarray
    opened_s: np.ndarray
    kind: np.ndarray
    region: np.ndarray


def cell_blocks(cell_region: np.ndarray, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """First cell index and number of cells of each region (cells are grouped by region)."""
    count = np.bincount(cell_region, minlength=n_regions).astype(np.int64)
    start = np.cumsum(count) - count
    return start, count
